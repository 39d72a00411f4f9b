package jwtverify_test

import "time"

// The documented defaults and fixed limits of Config, which tests rely on.
const (
	defaultLeeway        = 60 * time.Second // Config.Leeway
	defaultMaxTokenBytes = 16 << 10         // Config.MaxTokenBytes
	missBudget           = 3                // unknown-kid refreshes that miss, per 30s
)
