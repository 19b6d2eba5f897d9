package timestamp_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/timestamp"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name, in string
		want     time.Time
	}{
		{"no fraction", "2026-11-22T05:00:00Z", time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)},
		{"one digit is tenths", "2026-11-22T05:00:00.5Z", time.Date(2026, 11, 22, 5, 0, 0, 500000000, time.UTC)},
		{"eight digits are a decimal fraction", "2018-02-06T00:09:35.38267193Z", time.Date(2018, 2, 6, 0, 9, 35, 382671930, time.UTC)},
		{"nine digits", "2018-02-06T00:00:18.419889342Z", time.Date(2018, 2, 6, 0, 0, 18, 419889342, time.UTC)},
		{"nine zeros", "2026-11-22T05:00:00.000000000Z", time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)},
		{"positive offset", "2026-11-22T07:30:00.25+02:30", time.Date(2026, 11, 22, 5, 0, 0, 250000000, time.UTC)},
		{"negative offset", "2026-11-21T23:00:00-06:00", time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)},
		{"epoch", "1970-01-01T00:00:00Z", time.Unix(0, 0)},
		{"before the epoch", "1969-12-31T23:59:59.999999999Z", time.Unix(0, -1)},
		{"leap day", "2024-02-29T12:00:00Z", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := timestamp.Parse([]byte(c.in))
			require.NoError(t, err)
			assert.Equal(t, c.want.UnixNano(), got)
			gs, err := timestamp.ParseString(c.in)
			require.NoError(t, err)
			assert.Equal(t, got, gs)
		})
	}
}

func TestParseRejects(t *testing.T) {
	for name, in := range map[string]string{
		"empty":                     "",
		"date only":                 "2026-11-22",
		"ten fractional digits":     "2026-11-22T05:00:00.1234567890Z",
		"dot without digits":        "2026-11-22T05:00:00.Z",
		"no zone":                   "2026-11-22T05:00:00",
		"lower-case t":              "2026-11-22t05:00:00Z",
		"space separator":           "2026-11-22 05:00:00Z",
		"month 13":                  "2026-13-22T05:00:00Z",
		"february 30":               "2026-02-30T05:00:00Z",
		"february 29 in a non-leap": "2025-02-29T05:00:00Z",
		"hour 24":                   "2026-11-22T24:00:00Z",
		"leap second":               "2016-12-31T23:59:60Z",
		"offset without colon":      "2026-11-22T05:00:00+0200",
		"offset hour 24":            "2026-11-22T05:00:00+24:00",
		"trailing text":             "2026-11-22T05:00:00Zx",
		"sign in a field":           "2026-+1-22T05:00:00Z",
		"kubelet prefix and text":   "2026-11-22T05:00:00.000000000Z hello",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := timestamp.Parse([]byte(in))
			assert.ErrorIs(t, err, timestamp.ErrSyntax)
		})
	}
	_, err := timestamp.Parse([]byte("2300-01-01T00:00:00Z"))
	assert.ErrorIs(t, err, timestamp.ErrRange)
	_, err = timestamp.Parse([]byte("1600-01-01T00:00:00Z"))
	assert.ErrorIs(t, err, timestamp.ErrRange)
}

func TestAppend(t *testing.T) {
	for _, tm := range []time.Time{
		time.Unix(0, 0),
		time.Unix(0, -1),
		time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC),
		time.Date(2018, 2, 6, 0, 9, 35, 382671930, time.UTC),
		time.Date(2000, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(1677, 9, 21, 0, 12, 44, 0, time.UTC),
		time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC),
	} {
		want := tm.UTC().Format(timestamp.Layout)
		got := string(timestamp.Append(nil, tm.UnixNano()))
		assert.Equal(t, want, got)
		assert.Len(t, got, timestamp.Len)
		assert.Equal(t, want, timestamp.Format(tm.UnixNano()))
	}
}

func TestNoAllocation(t *testing.T) {
	in := []byte("2018-02-06T00:09:35.38267193Z")
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		ns, _ := timestamp.Parse(in)
		buf = timestamp.Append(buf[:0], ns)
	})
	assert.Zero(t, allocs)
}

func TestTimeConversion(t *testing.T) {
	tm := time.Date(2026, 11, 22, 5, 0, 0, 7, time.UTC)
	assert.Equal(t, tm, timestamp.Time(timestamp.FromTime(tm)))
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"2026-11-22T05:00:00Z", "2026-11-22T05:00:00.5Z", "2018-02-06T00:09:35.38267193Z",
		"2026-11-22T05:00:00.000000000Z", "2026-11-22T07:30:00.25+02:30", "1969-12-31T23:59:59.999999999-00:30",
		"2026-11-22T05:00:00.1234567890Z", "2024-02-29T00:00:00Z", "9999-12-31T23:59:59Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := timestamp.Parse([]byte(s))
		if err != nil {
			return
		}
		want, perr := time.Parse(time.RFC3339Nano, s)
		if perr != nil {
			t.Fatalf("Parse accepted %q, time.Parse rejects it: %v", s, perr)
		}
		if want.UnixNano() != ns {
			t.Fatalf("Parse(%q) = %d, time.Parse says %d", s, ns, want.UnixNano())
		}
		canon := timestamp.Append(nil, ns)
		back, err := timestamp.Parse(canon)
		if err != nil || back != ns {
			t.Fatalf("round trip of %q through %q gave %d, %v", s, canon, back, err)
		}
		if string(canon) != want.UTC().Format(timestamp.Layout) {
			t.Fatalf("Append(%d) = %q, want %q", ns, canon, want.UTC().Format(timestamp.Layout))
		}
	})
}

func TestParserAgreesWithParse(t *testing.T) {
	var p timestamp.Parser
	for _, s := range []string{
		"2026-11-22T05:00:00.5Z", "2026-11-22T05:00:01Z", "2026-11-22T05:00:59.999999999Z",
		"2026-11-22T05:00:07+01:00", "2026-11-22T05:00:60Z", "2026-11-22T05:00:1Z", "2026-11-22T05:01:00Z",
		"2026-11-22T05:01:00.Z", "2026-11-22T05:01:00.1234567890Z", "2026-11-22T05:01:00", "2026-11-22T05:01x00Z",
	} {
		want, werr := timestamp.ParseString(s)
		got, err := p.Parse([]byte(s))
		assert.Equal(t, werr, err, s)
		assert.Equal(t, want, got, s)
	}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = p.Parse([]byte("2026-11-22T05:01:00.25Z")) }))
}

func FuzzParser(f *testing.F) {
	f.Add("2026-11-22T05:00:00.5Z", "2026-11-22T05:00:07+01:00")
	f.Add("2026-11-22T05:00:00Z", "2026-11-22T05:00:61Z")
	f.Add("1677-09-21T00:12:44Z", "1677-09-21T00:12:43.1Z")
	f.Fuzz(func(t *testing.T, first, second string) {
		var p timestamp.Parser
		for _, s := range []string{first, second, first} {
			want, werr := timestamp.ParseString(s)
			if len(s) > 64 {
				want, werr = timestamp.Parse([]byte(s))
			}
			got, err := p.Parse([]byte(s))
			if got != want || (err == nil) != (werr == nil) {
				t.Fatalf("Parser.Parse(%q) = %d, %v; Parse says %d, %v", s, got, err, want, werr)
			}
		}
	})
}
