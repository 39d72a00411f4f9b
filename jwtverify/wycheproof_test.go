package jwtverify

// Conformance against the Wycheproof JSON Web Signature and JSON Web Key test
// vectors (C2SP/wycheproof, Apache-2.0), read from
// ../shared/testvectors/wycheproof/ beside the module, or from the directory
// named by $TOKENGUARD_WYCHEPROOF_DIR.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/internal/jose"
	"github.com/tokenguard/tokenguard/internal/jwks"
)

// jwsStandInClaims and jwsStandInHeader fill the slots of parseCompact that
// verifyJWS does not use, so that the gate runs unchanged on the segments it
// does use: "{}" and {"alg":"none"}.
const (
	jwsStandInClaims = "e30"
	jwsStandInHeader = "eyJhbGciOiJub25lIn0"
)

// verifyJWS is the JWS layer of [Verifier.Verify], for conformance vectors
// whose payload is not a JWT claims set: the key set document goes through
// [jwks.ParseSet] (key hygiene), the token through the same gate
// (parseCompact, parseHeader: strict base64url, three segments, header
// rules), the alg through the default allow-list, the key is chosen by kid
// and must fit the alg exactly as Verify chooses it, and the signature is
// checked with [jose.Alg.Verify]. Nothing about claims is checked, and the
// payload may be any bytes, including none (RFC 7515 allows an empty one).
func verifyJWS(set []byte, token string) error {
	keys, _, err := jwks.ParseSet(set)
	if err != nil {
		return &MalformedError{Reason: "key set: " + err.Error()}
	}
	if len(token) > defaultMaxTokenBytes {
		return &MalformedError{Reason: "token over the length limit"}
	}
	first, last := strings.IndexByte(token, '.'), strings.LastIndexByte(token, '.')
	if first < 0 || first == last {
		return &MalformedError{Reason: "not three dot-separated segments"}
	}
	hs, ps, ss := token[:first], token[first+1:last], token[last+1:]
	// The gate on the header and signature segments, the claims slot
	// holding a stand-in.
	h, _, sig, _, err := parseCompact(hs + "." + jwsStandInClaims + "." + ss)
	if err != nil {
		return err
	}
	// The gate on the payload segment, placed in the signature slot whose
	// rules (strict base64url, no dot) are the same. An empty payload is
	// valid JWS but never a valid access token: only this layer allows it.
	if ps != "" {
		if _, _, _, _, err := parseCompact(jwsStandInHeader + "." + jwsStandInClaims + "." + ps); err != nil {
			return err
		}
	}
	alg, ok := jose.Lookup(string(h.alg))
	if !ok {
		return &algorithmError{Algorithm: string(h.alg), Reason: "not supported"}
	}
	// Key selection as in Verifier.verify.
	kid := string(h.kid)
	var candidates []*jwks.Key
	for _, k := range keys {
		if kid == "" || k.ID == kid {
			candidates = append(candidates, k)
		}
	}
	if len(candidates) == 0 {
		return &unknownKeyError{KeyID: kid}
	}
	var key *jwks.Key
	for _, k := range candidates {
		if k.Fits(alg.Name) {
			if key != nil && kid == "" {
				return &unknownKeyError{KeyID: kid}
			}
			key = k
		}
	}
	if key == nil {
		return &algorithmError{Algorithm: alg.Name, Reason: "no key of kid " + jose.Quote(kid) + " fits it"}
	}
	if alg.Verify(key.Public, []byte(token[:last]), sig) != nil {
		return ErrSignature
	}
	return nil
}

// wycheproofDir finds the vectors: $TOKENGUARD_WYCHEPROOF_DIR, else
// ../shared/testvectors/wycheproof relative to the module root.
func wycheproofDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("TOKENGUARD_WYCHEPROOF_DIR"); dir != "" {
		return dir
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "testvectors", "wycheproof")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test directory")
		}
		dir = parent
	}
}

type wycheFile struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		Comment string          `json:"comment"`
		Public  json.RawMessage `json:"public"`
		Private json.RawMessage `json:"private"`
		Tests   []struct {
			TcID    int             `json:"tcId"`
			Comment string          `json:"comment"`
			JWS     json.RawMessage `json:"jws"`
			Result  string          `json:"result"`
			Flags   []string        `json:"flags"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func loadWycheproof(t *testing.T, name string) *wycheFile {
	t.Helper()
	path := filepath.Join(wycheproofDir(t), name)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && (os.Getenv("CI") == "true" || os.Getenv("TOKENGUARD_WYCHEPROOF_DIR") != "") {
		t.Fatalf("Wycheproof vectors required in CI (or when TOKENGUARD_WYCHEPROOF_DIR is set) but not found at %s", path)
	}
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("Wycheproof vectors not found: looked for %s (set TOKENGUARD_WYCHEPROOF_DIR to their folder; CI provides ../shared/testvectors/wycheproof)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var f wycheFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	n := 0
	for _, g := range f.TestGroups {
		n += len(g.Tests)
	}
	if n == 0 || n != f.NumberOfTests {
		t.Fatalf("%s holds %d tests, its header says %d", path, n, f.NumberOfTests)
	}
	return &f
}

// wycheMislabelled lists the vectors whose expected result does not match
// their bytes, each with the reason and the result this library gives. They
// are asserted, not skipped.
var wycheMislabelled = map[string]map[int]struct {
	reason string
	want   error
	// fixedKey, when set, is the vector's key corrected as RFC 7520 §3
	// publishes it; the token must then verify, which shows that only the
	// label is wrong.
	fixedKey string
}{
	"json_web_signature_test.json": {
		346: {
			reason: `RFC 7520 Figure 20 is PS384, but the vector's key claims "alg":"PS256"; a key's alg must equal the token's (RFC 7517 §4.4), so a strict verifier rejects it`,
			want:   ErrAlgorithm, fixedKey: rfc7520RSAPublic,
		},
		350: {
			reason: `same as 346 (key_ops variant): key "alg":"PS256" for a PS384 token`,
			want:   ErrAlgorithm, fixedKey: rfc7520RSAPublic,
		},
		347: {
			reason: `RFC 7520 Figure 27 is ES512, but the vector's key claims "alg":"ES521", which is no registered algorithm; the key is dropped by key-set hygiene, so its kid is unknown`,
			want:   ErrUnknownKey, fixedKey: rfc7520ECPublic,
		},
		351: {
			reason: `same as 347 (key_ops variant): key "alg":"ES521"`,
			want:   ErrUnknownKey, fixedKey: rfc7520ECPublic,
		},
		372: {
			reason: `labelled valid, but a "?" is inserted into the header segment: not base64url (RFC 7515 §7.1), so a strict parser rejects it (lenient decoders skip the character); also HMAC, which the library never accepts`,
			want:   ErrMalformed,
		},
		373: {
			reason: `as 372, with the "?" in the payload segment`,
			want:   ErrMalformed,
		},
	},
}

// wycheTally counts outcomes per vector file.
type wycheTally struct {
	verified, rejected, unsupported, mislabelled int
}

func runWycheproof(t *testing.T, file string, set func(public, private json.RawMessage) []byte) wycheTally {
	t.Helper()
	f := loadWycheproof(t, file)
	var tally wycheTally
	for _, g := range f.TestGroups {
		keySet := set(g.Public, g.Private)
		for _, tc := range g.Tests {
			name := fmt.Sprintf("tcId %d %s %s", tc.TcID, g.Comment, tc.Comment)
			t.Run(name, func(t *testing.T) {
				var token string
				serialization := "compact"
				if err := json.Unmarshal(tc.JWS, &token); err != nil {
					token, serialization = string(tc.JWS), "JSON" // the JSON serialization, as text
				}
				err := verifyJWS(keySet, token)

				if m, ok := wycheMislabelled[file][tc.TcID]; ok {
					tally.mislabelled++
					if !errors.Is(err, m.want) {
						t.Fatalf("verifyJWS(%s, labelled %s but mislabelled: %s) = %v, want %v", name, tc.Result, m.reason, err, m.want)
					}
					if m.fixedKey != "" {
						fixed := []byte(`{"keys":[` + m.fixedKey + `]}`)
						if err := verifyJWS(fixed, token); err != nil {
							t.Fatalf("verifyJWS(%s with the key as RFC 7520 publishes it) = %v, want nil", name, err)
						}
					}
					return
				}
				if why := wycheUnsupported(keySet, token, serialization); why != "" {
					// The library refuses these by design; make sure it does.
					tally.unsupported++
					if err == nil {
						t.Fatalf("verifyJWS(%s: %s) = nil, want a rejection", name, why)
					}
					t.Logf("unsupported (%s), rejected: %v", why, err)
					return
				}
				switch tc.Result {
				case "valid", "acceptable":
					if err != nil {
						t.Fatalf("verifyJWS(%s) = %v, want nil (vector is %s)", name, err, tc.Result)
					}
					tally.verified++
				case "invalid":
					if err == nil {
						t.Fatalf("verifyJWS(%s) = nil, want a rejection (vector is invalid, flags %v)", name, tc.Flags)
					}
					if !errors.Is(err, ErrInvalidToken) {
						t.Fatalf("verifyJWS(%s) = %v, want an error matching ErrInvalidToken", name, err)
					}
					tally.rejected++
				default:
					t.Fatalf("vector %s has unknown result %q", name, tc.Result)
				}
			})
		}
	}
	t.Logf("%s: %d verified, %d rejected, %d unsupported (HMAC / JSON serialization; all rejected), %d mislabelled (asserted)",
		file, tally.verified, tally.rejected, tally.unsupported, tally.mislabelled)
	return tally
}

// wycheUnsupported names why a vector is outside what the library supports
// (HMAC algorithms, symmetric keys, the JSON serialization), or returns "".
func wycheUnsupported(keySet []byte, token, serialization string) string {
	if serialization != "compact" {
		return "JWS JSON serialization"
	}
	if strings.Contains(string(keySet), `"kty":"oct"`) || strings.Contains(string(keySet), `"kty": "oct"`) {
		return "symmetric key"
	}
	hs, _, _ := strings.Cut(token, ".")
	if raw, err := base64.RawURLEncoding.DecodeString(hs); err == nil {
		var h struct{ Alg string }
		if json.Unmarshal(raw, &h) == nil && strings.HasPrefix(h.Alg, "HS") {
			return "HMAC algorithm " + h.Alg
		}
	}
	return ""
}

func TestWycheproofJWS(t *testing.T) {
	tally := runWycheproof(t, "json_web_signature_test.json", func(public, private json.RawMessage) []byte {
		key := public
		if len(key) == 0 || string(key) == "null" {
			key = private // HMAC groups publish only the secret key
		}
		return []byte(`{"keys":[` + string(key) + `]}`)
	})
	if tally.verified == 0 || tally.rejected == 0 {
		t.Errorf("Wycheproof JWS: %+v, want both verified and rejected vectors", tally)
	}
}

func TestWycheproofJWK(t *testing.T) {
	tally := runWycheproof(t, "json_web_key_test.json", func(public, private json.RawMessage) []byte {
		if len(public) == 0 || string(public) == "null" {
			return private // groups of symmetric keys publish only those
		}
		return public // a JWK Set
	})
	if tally.verified == 0 || tally.rejected == 0 {
		t.Errorf("Wycheproof JWK: %+v, want both verified and rejected vectors", tally)
	}
}
