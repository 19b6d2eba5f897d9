// Package timestamp parses and formats the instants that log lines carry, as
// int64 nanoseconds since the Unix epoch, without allocating.
//
// Parsing accepts RFC 3339 with 0 to 9 fractional digits, read as a decimal
// fraction (".5" is 500ms), and a "Z" or "±hh:mm" offset: the forms that
// kubelets, Docker and containerd write. Formatting always writes the
// canonical form: UTC, nine fractional digits, "Z", 30 bytes.
package timestamp

import (
	"errors"
	"time"
)

// Len is the length of the canonical form.
const Len = 30

// Layout is the canonical form as a Go time layout, applied to UTC times.
const Layout = "2006-01-02T15:04:05.000000000Z07:00"

// ErrSyntax is returned for text that is not an RFC 3339 time with 0 to 9
// fractional digits.
var ErrSyntax = errors.New("timestamp: not an RFC 3339 time with at most 9 fractional digits")

// ErrRange is returned for a valid time outside what int64 nanoseconds hold
// (about the years 1678 to 2262).
var ErrRange = errors.New("timestamp: time out of the int64 nanosecond range")

const (
	minSeconds = -9223372036 // math.MinInt64 / 1e9, rounded toward zero
	maxSeconds = 9223372036
)

// Parse reads an RFC 3339 time and returns its Unix time in nanoseconds.
func Parse(b []byte) (int64, error) {
	base, err := minuteOf(b)
	if err != nil {
		return 0, err
	}
	return afterMinute(b[16:], base)
}

// minuteOf checks the "YYYY-MM-DDTHH:MM" that b starts with and returns its
// Unix seconds, in the time's own zone.
func minuteOf(b []byte) (int64, error) {
	// YYYY-MM-DDTHH:MM:SS is 19 bytes, then [.F{1,9}], then Z or ±hh:mm.
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' {
		return 0, ErrSyntax
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return 0, ErrSyntax
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 {
		return 0, ErrSyntax
	}
	return daysFromCivil(int64(year), month, day)*86400 + int64(hour*3600+minute*60), nil
}

// afterMinute reads ":SS[.F{1,9}]" and the zone, the rest of a time whose
// minute is base, and returns the time's Unix nanoseconds.
func afterMinute(b []byte, base int64) (int64, error) {
	if len(b) < 4 || b[0] != ':' {
		return 0, ErrSyntax
	}
	sec, ok := digits(b[1:3])
	if !ok || sec > 59 {
		return 0, ErrSyntax
	}
	rest := b[3:]
	var frac int64
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			frac = frac*10 + int64(rest[n]-'0')
			n++
		}
		ndig := n - 1
		if ndig == 0 || ndig > 9 {
			return 0, ErrSyntax
		}
		for i := ndig; i < 9; i++ {
			frac *= 10
		}
		rest = rest[n:]
	}
	var offset int64
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := digits(rest[1:3])
		om, okm := digits(rest[4:6])
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, ErrSyntax
		}
		offset = int64(oh*3600 + om*60)
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, ErrSyntax
	}
	secs := base + int64(sec) - offset
	if secs < minSeconds || secs > maxSeconds {
		return 0, ErrRange
	}
	ns := secs * 1e9
	if secs < 0 && ns+frac > 0 || secs > 0 && ns+frac < 0 {
		return 0, ErrRange
	}
	return ns + frac, nil
}

// ParseString is Parse for a string.
func ParseString(s string) (int64, error) {
	var buf [64]byte
	if len(s) > len(buf) {
		return 0, ErrSyntax
	}
	return Parse(buf[:copy(buf[:], s)])
}

// Append appends the canonical form of ns to dst.
func Append(dst []byte, ns int64) []byte {
	secs, frac := ns/1e9, ns%1e9
	if frac < 0 {
		secs--
		frac += 1e9
	}
	days, sod := secs/86400, secs%86400
	if sod < 0 {
		days--
		sod += 86400
	}
	year, month, day := civilFromDays(days)
	var b [Len]byte
	put4(b[0:4], int(year))
	b[4] = '-'
	put2(b[5:7], month)
	b[7] = '-'
	put2(b[8:10], day)
	b[10] = 'T'
	put2(b[11:13], int(sod/3600))
	b[13] = ':'
	put2(b[14:16], int(sod/60%60))
	b[16] = ':'
	put2(b[17:19], int(sod%60))
	b[19] = '.'
	f := int(frac)
	for i := 28; i >= 20; i-- {
		b[i] = byte('0' + f%10)
		f /= 10
	}
	b[29] = 'Z'
	return append(dst, b[:]...)
}

// Format returns the canonical form of ns.
func Format(ns int64) string {
	var b [Len]byte
	return string(Append(b[:0], ns))
}

// Time converts ns to a time.Time in UTC.
func Time(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// FromTime converts t to Unix nanoseconds.
func FromTime(t time.Time) int64 { return t.UnixNano() }

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func put2(b []byte, v int) {
	b[0] = byte('0' + v/10)
	b[1] = byte('0' + v%10)
}

func put4(b []byte, v int) {
	b[0] = byte('0' + v/1000)
	b[1] = byte('0' + v/100%10)
	b[2] = byte('0' + v/10%10)
	b[3] = byte('0' + v%10)
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil and civilFromDays are Howard Hinnant's algorithms for the
// proleptic Gregorian calendar.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int64) (year int64, month, day int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// Parser parses times like Parse, remembering the date, hour and minute of
// the last time it parsed: the consecutive lines of a log share them, and
// only the seconds, the fraction and the zone are left to read. A Parser
// is not safe for concurrent use; its zero value is ready.
type Parser struct {
	minute [16]byte // "YYYY-MM-DDTHH:MM" of the last time parsed
	base   int64    // its Unix seconds, in the time's own zone
	known  bool
}

// Parse parses b as the package's Parse does.
func (p *Parser) Parse(b []byte) (int64, error) {
	if !p.known || len(b) < 20 || string(b[:16]) != string(p.minute[:]) {
		base, err := minuteOf(b)
		if err != nil {
			return 0, err
		}
		copy(p.minute[:], b[:16])
		p.base, p.known = base, true
	}
	return afterMinute(b[16:], p.base)
}
