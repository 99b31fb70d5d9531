package piiscan

import (
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Kind names what a finding looks like.
type Kind string

// The kinds of finding, in the order the detectors claim text (see the package doc).
const (
	KindDenyList   Kind = "deny_list"
	KindJWT        Kind = "jwt"
	KindAPIKey     Kind = "api_key"
	KindEmail      Kind = "email"
	KindUUID       Kind = "uuid"
	KindIPv6       Kind = "ipv6"
	KindIPv4       Kind = "ipv4"
	KindCardNumber Kind = "card_number"
	KindPhone      Kind = "phone"
	KindHexRun     Kind = "hex_run"
	KindBase64Run  Kind = "base64_run"
)

// span is a byte range [lo, hi) of the text being checked.
type span struct{ lo, hi int }

// detector finds candidate spans of one kind in s. pre is a cheap necessary
// condition that skips the regular expressions for most short texts (numbers,
// histogram keys).
type detector struct {
	kind Kind
	pre  func(s string) bool
	find func(s string) []span
}

func minLen(n int) func(string) bool { return func(s string) bool { return len(s) >= n } }

// detectors run in this order; a span overlapping one claimed earlier is ignored.
var detectors = []detector{
	{KindJWT, func(s string) bool { return strings.Contains(s, "eyJ") }, matchAll(reJWT, notB64URL, notB64URL, nil)},
	{KindAPIKey, minLen(14), findKnownKeys},
	{KindEmail, func(s string) bool { return strings.IndexByte(s, '@') >= 0 }, matchAll(reEmail, nil, nil, nil)},
	{KindUUID, minLen(36), matchAll(reUUID, notAlnum, notAlnum, nil)},
	{KindIPv6, func(s string) bool { return strings.Count(s, ":") >= 2 }, matchAll(reIPv6, notAlnumColon, notAlnumColon, isIPv6)},
	{KindIPv4, func(s string) bool { return len(s) >= 7 && strings.Count(s, ".") >= 3 }, matchAll(reIPv4, notDigitDot, notDigitDot, isIPv4)},
	{KindCardNumber, minLen(13), findCards},
	{KindPhone, minLen(8), findPhones},
	{KindHexRun, minLen(32), matchAll(reHex, notAlnum, notAlnum, isHexRun)},
	{KindBase64Run, minLen(40), matchAll(reB64, nil, nil, mixedClasses)},
	{KindAPIKey, minLen(20), matchAll(reToken, nil, nil, isHighEntropy)},
}

var (
	reJWT   = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`)
	reEmail = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}`)
	reUUID  = regexp.MustCompile(`[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}`)
	reIPv6  = regexp.MustCompile(`[0-9A-Fa-f:]*:[0-9A-Fa-f]*:[0-9A-Fa-f:]*(?:\.[0-9]{1,3}){0,3}`)
	reIPv4  = regexp.MustCompile(`[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}`)
	reCard  = regexp.MustCompile(`[0-9](?:[ -]?[0-9])+`)
	reHex   = regexp.MustCompile(`[0-9A-Fa-f]{32,}`)
	reB64   = regexp.MustCompile(`[A-Za-z0-9+/_-]{40,}={0,2}`)
	reToken = regexp.MustCompile(`[A-Za-z0-9_-]{20,}`)

	reKnownKeys = []*regexp.Regexp{
		regexp.MustCompile(`(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}`),
		regexp.MustCompile(`(?:AKIA|ASIA)[0-9A-Z]{16}`),
		regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{30,}`),
		regexp.MustCompile(`github_pat_[A-Za-z0-9_]{22,}`),
		regexp.MustCompile(`xox[baprs]-[A-Za-z0-9-]{10,}`),
		regexp.MustCompile(`AIza[0-9A-Za-z_-]{35}`),
	}

	// International: + then digits with optional separators; NANP; trunk-prefixed
	// national numbers. Each candidate is then checked by digit count and boundaries.
	rePhoneIntl  = regexp.MustCompile(`\+[0-9](?:[ .-]?\(?[0-9]+\)?)+`)
	rePhoneNANP  = regexp.MustCompile(`(?:1[ .-]?)?(?:\([0-9]{3}\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}`)
	rePhoneTrunk = regexp.MustCompile(`0[0-9]{1,4}[ -][0-9]{3,4}[ -]?[0-9]{3,4}`)
)

// charTest reports whether a neighbouring byte is acceptable; nil accepts anything.
type charTest func(b byte) bool

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
func isAlnum(b byte) bool {
	return isDigit(b) || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

func notAlnum(b byte) bool      { return !isAlnum(b) }
func notAlnumColon(b byte) bool { return !isAlnum(b) && b != ':' }
func notB64URL(b byte) bool     { return !isAlnum(b) && b != '-' && b != '_' }
func notDigitDot(b byte) bool   { return !isDigit(b) && b != '.' }
func notAlnumDot(b byte) bool   { return !isAlnum(b) && b != '.' }
func notCardPrev(b byte) bool   { return !isAlnum(b) && b != '.' && b != '+' }

// matchAll returns the matches of re whose neighbours pass prev and next and whose
// text passes ok.
func matchAll(re *regexp.Regexp, prev, next charTest, ok func(string) bool) func(string) []span {
	return func(s string) []span {
		var out []span
		for _, m := range re.FindAllStringIndex(s, -1) {
			if bounded(s, m[0], m[1], prev, next) && (ok == nil || ok(s[m[0]:m[1]])) {
				out = append(out, span{m[0], m[1]})
			}
		}
		return out
	}
}

func bounded(s string, lo, hi int, prev, next charTest) bool {
	if prev != nil && lo > 0 && !prev(s[lo-1]) {
		return false
	}
	if next != nil && hi < len(s) && !next(s[hi]) {
		return false
	}
	return true
}

func findKnownKeys(s string) []span {
	var out []span
	for _, re := range reKnownKeys {
		for _, m := range re.FindAllStringIndex(s, -1) {
			if bounded(s, m[0], m[1], notAlnum, notAlnum) {
				out = append(out, span{m[0], m[1]})
			}
		}
	}
	return out
}

func isIPv6(c string) bool {
	if strings.Count(c, ":") < 2 || strings.Trim(c, ":") == "" {
		return false
	}
	a, err := netip.ParseAddr(c)
	return err == nil && a.Is6()
}

func isIPv4(c string) bool {
	a, err := netip.ParseAddr(c)
	return err == nil && a.Is4()
}

func digitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// isCard: 13–19 digits passing Luhn.
func isCard(c string) bool {
	d := digitsOf(c)
	return len(d) >= 13 && len(d) <= 19 && luhn(d)
}

// luhn reports whether the digit string passes the Luhn (mod 10) check.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// findCards returns the card numbers in s: a run of digits with single spaces or
// dashes between them (reCard), not glued to a word or a decimal point, holding 13–19
// digits that pass Luhn. When a whole run fails, the parts of it between spaces are
// tried, left to right, so that a card number written next to another number ("ref 12
// 4111 1111 1111 1111", "1.5 4111-1111-1111-1111") is still found; a dash-joined run
// ("v0.0.0-20261126095946") is not split. Inside a tried part every group of digits but
// the last has 4 digits or more, as in every card layout (4-4-4-4, 4-6-5, 4-4-4-4-3,
// 4-4-4-1), so a list of small numbers is not taken for a card.
func findCards(s string) []span {
	var out []span
	for _, m := range reCard.FindAllStringIndex(s, -1) {
		if bounded(s, m[0], m[1], notCardPrev, notAlnumDot) && isCard(s[m[0]:m[1]]) {
			out = append(out, span{m[0], m[1]})
		} else if m[1]-m[0] > 13 {
			out = append(out, cardsWithin(s, m[0], m[1])...)
		}
	}
	return out
}

// cardsWithin tries the parts of the reCard match s[lo:hi] that start at its start or
// after a space and end at its end or before a space. The work is linear in hi−lo: a
// tried part holds at most 19 digits, so at most 5 groups.
func cardsWithin(s string, lo, hi int) []span {
	var groups []span
	for i := lo; i < hi; {
		j := i
		for j < hi && isDigit(s[j]) {
			j++
		}
		groups = append(groups, span{i, j})
		i = j + 1 // the separator
	}
	var out []span
	for i := 0; i < len(groups); i++ {
		if i > 0 && s[groups[i].lo-1] != ' ' {
			continue
		}
		n := 0
		for j := i; j < len(groups); j++ {
			g := groups[j]
			if n += g.hi - g.lo; n > 19 {
				break
			}
			c := span{groups[i].lo, g.hi}
			if n >= 13 && (j == len(groups)-1 || s[g.hi] == ' ') &&
				bounded(s, c.lo, c.hi, notCardPrev, notAlnumDot) && luhn(digitsOf(s[c.lo:c.hi])) {
				out = append(out, c)
				i = j // go on after this card
				break
			}
			if g.hi-g.lo < 4 {
				break // a short group only ends a card (4222 2222 2222 2)
			}
		}
	}
	return out
}

var reDoubleSep = regexp.MustCompile(`[ .-]{2}`)

func findPhones(s string) []span {
	var out []span
	add := func(re *regexp.Regexp, minDigits, maxDigits int) {
		for _, m := range re.FindAllStringIndex(s, -1) {
			c := s[m[0]:m[1]]
			n := len(digitsOf(c))
			if n < minDigits || n > maxDigits || reDoubleSep.MatchString(c) {
				continue
			}
			// Not glued to a word, a longer number or a decimal point.
			if !bounded(s, m[0], m[1], func(b byte) bool { return !isAlnum(b) && b != '.' && b != '+' }, notAlnum) {
				continue
			}
			if m[1] < len(s)-1 && s[m[1]] == '.' && isDigit(s[m[1]+1]) {
				continue
			}
			out = append(out, span{m[0], m[1]})
		}
	}
	add(rePhoneIntl, 8, 15)
	add(rePhoneNANP, 10, 11)
	add(rePhoneTrunk, 10, 11)
	return out
}

func isHexRun(c string) bool {
	letter, digit := false, false
	for i := 0; i < len(c); i++ {
		if isDigit(c[i]) {
			digit = true
		} else {
			letter = true
		}
	}
	return letter && digit
}

func mixedClasses(c string) bool {
	upper, lower, digit := false, false, false
	for i := 0; i < len(c); i++ {
		switch b := c[i]; {
		case isDigit(b):
			digit = true
		case b >= 'a' && b <= 'z':
			lower = true
		case b >= 'A' && b <= 'Z':
			upper = true
		}
	}
	return upper && lower && digit
}

// minEntropyBits is the Shannon entropy per character above which a mixed-class token
// of 20+ characters is taken for a generated secret. Random base62 text of that length
// scores about 4 bits; English identifiers score lower and rarely mix all three classes.
const minEntropyBits = 3.5

func isHighEntropy(c string) bool {
	return mixedClasses(c) && shannon(c) >= minEntropyBits
}

// shannon returns the Shannon entropy of the byte distribution of s, in bits per byte.
func shannon(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h := 0.0
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// detect returns the kinds found in s, each once, in detector order.
//
// The claimed text is kept as one flag per byte (allocated at the first claim), so
// testing a candidate costs its length: the candidates of one regular expression do
// not overlap, which keeps the whole linear in len(s). (Testing every candidate against every
// earlier claim was quadratic: a 240 KB string of 32 000 addresses and emails took
// seconds.)
func detect(s string) []Kind {
	var claimed []bool
	var kinds []Kind
	for _, d := range detectors {
		if !d.pre(s) {
			continue
		}
		for _, sp := range d.find(s) {
			if claimed == nil {
				claimed = make([]bool, len(s))
			} else if slices.Contains(claimed[sp.lo:sp.hi], true) {
				continue
			}
			for i := sp.lo; i < sp.hi; i++ {
				claimed[i] = true
			}
			if !slices.Contains(kinds, d.kind) {
				kinds = append(kinds, d.kind)
			}
		}
	}
	return kinds
}
