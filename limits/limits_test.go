package limits_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/actlog/actlog/limits"
	"github.com/actlog/actlog/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func run(limit int64, o limits.Options, in []stream.Line) ([]string, error) {
	got, err := stream.ReadAll(context.Background(), stream.Via(stream.FromSlice(in), stream.Lift(limits.Weighted(limit, o))))
	out := make([]string, len(got))
	for i, l := range got {
		out[i] = l.Log
	}
	return out, err
}

func ls(logs ...string) []stream.Line {
	out := make([]stream.Line, len(logs))
	for i, s := range logs {
		out[i] = stream.Line{Log: s}
	}
	return out
}

func TestWeighted(t *testing.T) {
	w := ls("x")[0].Weight() // every one-letter line weighs the same
	cases := []struct {
		name  string
		limit int64
		in    []stream.Line
		want  []string
		trunc bool
	}{
		{"a total equal to the limit passes", 2 * w, ls("a", "b"), []string{"a", "b"}, false},
		{"the line that goes over is not emitted", 2*w - 1, ls("a", "b", "c"), []string{"a"}, true},
		{"a single line larger than the limit truncates", w, ls(strings.Repeat("y", 100), "b"), []string{}, true},
		{"an overflow line truncates any limit", 1 << 40, []stream.Line{{Log: "a"}, {Log: "z", Overflow: true}}, []string{"a"}, true},
		{"a zero limit passes nothing", 0, ls("a"), []string{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := run(c.limit, limits.Options{}, c.in)
			assert.Equal(t, c.want, got)
			if !c.trunc {
				require.NoError(t, err)
				return
			}
			var te *limits.TruncatedError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, c.limit, te.Limit)
			assert.ErrorIs(t, err, limits.ErrTruncated)
		})
	}
}

func TestWeightIsUTF8Bytes(t *testing.T) {
	in := ls("ü")
	got, err := run(in[0].Weight()-1, limits.Options{}, in)
	assert.Empty(t, got)
	assert.ErrorIs(t, err, limits.ErrTruncated)
}

func TestQuietEndsCleanly(t *testing.T) {
	got, err := run(0, limits.Options{Quiet: true}, ls("a", "b"))
	assert.NoError(t, err)
	assert.Empty(t, got)
}

func TestCustomWeigh(t *testing.T) {
	got, err := run(3, limits.Options{Weigh: func(*stream.Line) int64 { return 1 }}, ls("a", "b", "c", "d"))
	assert.Equal(t, []string{"a", "b", "c"}, got)
	assert.ErrorIs(t, err, limits.ErrTruncated)
}
