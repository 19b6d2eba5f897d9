package sentinel_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func run(t *testing.T, o sentinel.Options, logs ...string) ([]string, error) {
	t.Helper()
	in := make([]stream.Line, len(logs))
	for i, s := range logs {
		in[i] = stream.Line{Log: s}
	}
	got, err := stream.ReadAll(context.Background(), stream.Via(stream.FromSlice(in), stream.Lift(sentinel.Complete(o))))
	out := make([]string, len(got))
	for i, l := range got {
		out[i] = l.Log
	}
	return out, err
}

const S = sentinel.Marker

func TestComplete(t *testing.T) {
	cases := []struct {
		name string
		o    sentinel.Options
		in   []string
		want []string
		err  error
	}{
		{"completes at the second sentinel and strips both", sentinel.Options{}, []string{"a", S, "b", S, "next"}, []string{"a", "b"}, nil},
		{"a line that contains the marker is ordinary", sentinel.Options{}, []string{"say " + S, S, S}, []string{"say " + S}, nil},
		{"short input is fine when not required", sentinel.Options{}, []string{"a", S}, []string{"a"}, nil},
		{"short input fails when required", sentinel.Options{Require: true}, []string{"a", S}, []string{"a"}, sentinel.ErrMissing},
		{"a leading sentinel is swallowed once", sentinel.Options{SkipLeading: true}, []string{S, "a", S, S, "next"}, []string{"a"}, nil},
		{"only the very first line is swallowed", sentinel.Options{SkipLeading: true}, []string{"a", S, S, "next"}, []string{"a"}, nil},
		{"N and a custom match", sentinel.Options{N: 1, Match: func(l *stream.Line) bool { return l.Log == "stop" }}, []string{"a", "stop", "b"}, []string{"a"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := run(t, c.o, c.in...)
			if c.err != nil {
				require.ErrorIs(t, err, c.err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, c.want, got)
		})
	}
}

func TestMissingErrorSaysHowMany(t *testing.T) {
	_, err := run(t, sentinel.Options{Require: true}, "a", S)
	var missing *sentinel.MissingError
	require.ErrorAs(t, err, &missing)
	assert.Equal(t, sentinel.MissingError{Found: 1, Want: 2}, *missing)
	assert.EqualError(t, err, "sentinel: only 1 of 2 sentinels found")
}

func TestFoundCountsTheMatchesDropped(t *testing.T) {
	s := sentinel.Complete(sentinel.Options{})
	assert.Zero(t, s.Found())
	for _, log := range []string{"a", S, "b"} {
		l := stream.Line{Log: log}
		_, _ = s.Line(&l)
	}
	assert.Equal(t, 1, s.Found())
}
