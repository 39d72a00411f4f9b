package jwks_test

import (
	"context"
	"fmt"

	"github.com/tokenguard/tokenguard/internal/jwks"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

func ExampleCache_Set() {
	issuer, _ := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256", "EdDSA"}})
	defer issuer.Close()

	c := jwks.New(jwks.Config{})
	defer c.Close() // stops the background refresh

	set, err := c.Set(context.Background(), issuer.JWKSURL)
	if err != nil {
		fmt.Println(err)
		return
	}
	keys, err := set.Key(context.Background(), issuer.KeyID("ES256"))
	fmt.Println(len(set.Keys()), keys[0].Fits("ES256"), keys[0].Fits("RS256"), err)
	// Output: 2 true false <nil>
}

func ExampleCache_Discover() {
	issuer, _ := jwttest.NewIssuer(jwttest.Options{})
	defer issuer.Close()

	c := jwks.New(jwks.Config{})
	defer c.Close()
	m, err := c.Discover(context.Background(), issuer.URL)
	fmt.Println(m.JWKSURI == issuer.JWKSURL, err)
	// Output: true <nil>
}
