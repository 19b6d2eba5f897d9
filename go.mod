module github.com/actlog/actlog

go 1.26

require github.com/stretchr/testify v1.12.1

require (
	github.com/benbjohnson/clock v1.3.5 // indirect
	github.com/tidwall/gjson v1.20.0 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
