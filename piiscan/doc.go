// Package piiscan checks a JSON document (a shape document, a manifest, any report)
// for values that look like personal data or secrets before it leaves the production
// boundary. It is `loader scan-pii`.
//
// # What is scanned
//
// Every string value, every object key, and the literal text of every number (the
// document is decoded with UseNumber, so 4111111111111111 is seen as written, not as
// a float). Findings name their place as a JSON path: $.messages.hourly_distribution[3],
// $.users.account_age_days_histogram["10000"]. A key that is itself a finding is never
// spelled out in a path: it appears as [<key N>], N being its 0-based position in its
// object, so that printing a path cannot leak what was found.
//
// # Detectors
//
// In the order they claim text (a later detector ignores text an earlier one claimed,
// so a JWT is reported once as a JWT and not also as a base64 run):
//
//   - deny_list: any line of the deny list, as a case-insensitive substring.
//   - jwt: three base64url segments separated by dots, the header starting "eyJ".
//   - api_key: well-known key formats (sk_live_/sk_test_/pk_/rk_, AKIA/ASIA,
//     ghp_/gho_/ghu_/ghs_/ghr_/github_pat_, xox[baprs]-, AIza…).
//   - email: local@domain.tld.
//   - uuid: 8-4-4-4-12 hex digits.
//   - ipv6: anything net/netip parses as an IPv6 address (2001:db8::1, ::ffff:192.0.2.1).
//   - ipv4: four dotted octets 0–255 not inside a longer dotted number.
//   - card_number: 13–19 digits, single spaces or dashes allowed between them, passing
//     the Luhn check, not part of a decimal number. A run of digit groups that fails
//     as a whole is also tried in its parts between spaces whose groups but the last
//     have 4 digits or more (the card layouts), so a card number written next to
//     another number ("ref 12 4111 1111 1111 1111") is still found.
//   - phone: E.164 and international numbers (+ then 8–15 digits, separators allowed),
//     North American (415) 555-2671 / 415-555-2671 / 415.555.2671 / 415 555 2671, and
//     trunk-prefixed national numbers (020 7946 0958, 07700 900123). Bare digit runs
//     without a + or separators are never phones: they are counts and histogram keys.
//   - hex_run: 32 or more hex digits with at least one letter and one digit.
//   - base64_run: 40 or more base64 / base64url characters mixing upper case, lower
//     case and digits.
//   - api_key (generic): a token of 20 or more [A-Za-z0-9_-] characters mixing upper
//     case, lower case and digits with a Shannon entropy of at least 3.5 bits per
//     character.
//
// Timestamps (2025-10-22T10:00:00Z), histogram keys ("10000", "0.25"), counts and
// floats match none of them: the tests hold the guards.
//
// # Allow and deny lists
//
// Both are text files, one entry per line; blank lines and lines starting with # are
// skipped; surrounding spaces are trimmed. Deny-list lines are substrings (matched
// case-insensitively). Allow-list lines are either JSON paths (a line starting with $)
// that silence every finding at that path and below it, or exact values (string,
// key or number text, compared exactly) that are not checked at all. A value that
// itself starts with $ or # is written with a leading backslash (\$5 allows "$5").
//
// # Output
//
// A finding carries its path, kind, where it was found (key, value or number) and the
// length of the text: never the text. Deny-list findings name the deny-list line number,
// not its content.
package piiscan
