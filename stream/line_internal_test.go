package stream

import "testing"

// TestPlain8AgreesWithTheByteTable puts every byte value at every position
// of a word of plain letters.
func TestPlain8AgreesWithTheByteTable(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for b := 0; b < 256; b++ {
			word := []byte("aaaaaaaa")
			word[pos] = byte(b)
			want := b < 0x80 && safe[b]
			if got := plain8(load8(string(word), 0)); got != want {
				t.Fatalf("byte %#x at %d: plain8 = %v, want %v", b, pos, got, want)
			}
		}
	}
}
