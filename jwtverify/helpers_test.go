package jwtverify_test

import (
	"time"

	"github.com/tokenguard/tokenguard/internal/jwks"
)

func jwksTimeout(d time.Duration) jwks.Config { return jwks.Config{Timeout: d} }
