package jwttest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/internal/jwks"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

func TestIssuerPublishesItsKeys(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"RS256", "ES384", "EdDSA"}})
	resp, err := http.Get(iss.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if meta.Issuer != iss.URL || meta.JWKSURI != iss.JWKSURL {
		t.Errorf("metadata = %+v, want issuer %s and jwks_uri %s", meta, iss.URL, iss.JWKSURL)
	}
	keys, dropped, err := jwks.ParseSet(iss.JWKS())
	if err != nil || len(keys) != 3 || len(dropped) != 0 {
		t.Fatalf("ParseSet(JWKS) = %d keys, %v dropped, %v; want 3, none", len(keys), dropped, err)
	}

	old := iss.KeyID("ES384")
	kid, err := iss.Rotate("ES384")
	if err != nil || kid == old || iss.KeyID("ES384") != kid {
		t.Fatalf("Rotate = %q, %v; want a new current kid", kid, err)
	}
	iss.Remove(old)
	if strings.Contains(string(iss.JWKS()), `"`+old+`"`) {
		t.Errorf("JWKS still lists removed kid %s", old)
	}
	tok := iss.MintWith(t, jwttest.Token{Alg: "ES384", Header: map[string]any{"typ": nil}, Claims: map[string]any{"exp": nil}})
	if parts := strings.Split(tok, "."); len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
}

func TestSignRefusesMismatches(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	if _, err := iss.Sign(jwttest.Token{Alg: "RS256"}); err == nil {
		t.Error("Sign(RS256) without an RS256 key = nil error")
	}
	if _, err := iss.Sign(jwttest.Token{Alg: "HS256"}); err == nil {
		t.Error("Sign(HS256) = nil error, want unsupported")
	}
	if _, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"none"}}); err == nil {
		t.Error("NewIssuer(none) = nil error")
	}
}
