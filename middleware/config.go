package middleware

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// The defaults of a zero Config, as its field docs state them.
const (
	defaultRealm         = "api"
	defaultMaxFormBytes  = 64 << 10
	defaultMaxTokenBytes = 16 << 10
)

// newGuard checks cfg and builds a Guard from a copy of it, with every
// default filled in and everything that derives from it computed once.
func newGuard(cfg Config) (*Guard, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	paths, err := excludeSet(cfg.ExcludePaths)
	if err != nil {
		return nil, err
	}
	g := &Guard{
		optional:      cfg.Optional,
		paths:         paths,
		exclude:       cfg.Exclude,
		maxForm:       orDefault(cfg.MaxFormBytes, defaultMaxFormBytes),
		cookie:        cfg.CookieName,
		maxToken:      orDefault(cfg.MaxTokenBytes, defaultMaxTokenBytes),
		onError:       cfg.ErrorHandler,
		log:           cfg.Logger,
		authenticated: cfg.Hooks.Authenticated,
		rejected:      cfg.Hooks.Rejected,
	}
	realm := cfg.Realm
	if realm == "" {
		realm = defaultRealm
	}
	g.challenge = `Bearer realm="` + realm + `"`
	g.sources = sources(cfg)
	g.requireCert = cfg.RequireCertificateBinding
	g.skipCert = cfg.InsecureSkipCertificateBinding
	g.clientCert = cfg.ClientCertificate
	g.dpopMode = cfg.DPoP.Mode
	if cfg.DPoP.Mode != DPoPOff {
		d := cfg.DPoP
		g.dpop, err = dpop.New(dpop.Config{
			Algorithms:            d.Algorithms,
			ProofWindow:           d.ProofWindow,
			Replay:                d.Replay,
			NonceSecrets:          d.NonceSecrets,
			NonceLifetime:         d.NonceLifetime,
			ExternalURL:           d.ExternalURL,
			TrustForwardedHeaders: d.TrustForwardedHeaders,
			Now:                   d.Now,
		})
		if err != nil {
			if ce := (*dpop.ConfigError)(nil); errors.As(err, &ce) {
				return nil, configError("DPoP."+ce.Field, "%s", ce.Reason)
			}
			return nil, configError("DPoP", "is refused: %v", err)
		}
		g.dpopChallenge = `DPoP realm="` + realm + `"`
		g.dpopAlgs = `algs="` + strings.Join(g.dpop.Algorithms(), " ") + `"`
	}
	if cfg.Metadata != nil {
		if g.meta, err = newMetadata(cfg.Metadata, &cfg, g); err != nil {
			return nil, err
		}
		param := `, resource_metadata="` + g.meta.url + `"`
		g.challenge += param
		if g.dpopChallenge != "" {
			g.dpopChallenge += param
		}
		if g.paths == nil {
			g.paths = map[string]struct{}{}
		}
		g.paths[g.meta.path] = struct{}{}
	}
	return g, nil
}

// orDefault returns v, or def if v is zero.
func orDefault[T int | int64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// checkConfig reports the first setting of cfg that is invalid, ExcludePaths
// aside (excludeSet checks those).
func checkConfig(cfg *Config) error {
	if c, ok := firstBad(cfg.Realm, func(r rune) bool { return r >= 0x20 && r <= 0x7e && r != '"' && r != '\\' }); ok {
		return configError("Realm", "%q holds %q, which a WWW-Authenticate quoted string cannot carry; want printable ASCII without '\"' and '\\', or empty for \"api\"",
			cfg.Realm, c)
	}
	if cfg.MaxFormBytes < 0 {
		return configError("MaxFormBytes", "is %d; want a positive byte count, or 0 for 64 KiB", cfg.MaxFormBytes)
	}
	if cfg.MaxTokenBytes < 0 {
		return configError("MaxTokenBytes", "is %d; want a positive byte count, or 0 for 16 KiB", cfg.MaxTokenBytes)
	}
	if err := checkBinding(cfg); err != nil {
		return err
	}
	if c, ok := firstBad(cfg.CookieName, isTchar); ok {
		return configError("CookieName", "%q holds %q, which a cookie name cannot; want an RFC 9110 token such as \"access_token\", or empty for no cookie",
			cfg.CookieName, c)
	}
	return nil
}

// firstBad returns the first character of s (or byte, if s is not valid
// UTF-8 there) for which allowed is false.
func firstBad(s string, allowed func(rune) bool) (string, bool) {
	for i, r := range s {
		if !allowed(r) || r == utf8.RuneError {
			_, n := utf8.DecodeRuneInString(s[i:])
			return s[i : i+n], true
		}
	}
	return "", false
}

// configError reports an invalid Config field. It matches
// jwtverify.ErrConfig.
func configError(field, format string, args ...any) error {
	return fmt.Errorf("middleware: invalid configuration: Config.%s %s: %w", field, fmt.Sprintf(format, args...), jwtverify.ErrConfig)
}

// checkBinding reports the first contradiction in the settings of
// sender-constrained tokens; dpop.New checks the rest of Config.DPoP.
func checkBinding(cfg *Config) error {
	if cfg.RequireCertificateBinding && cfg.InsecureSkipCertificateBinding {
		return configError("InsecureSkipCertificateBinding", "is set with RequireCertificateBinding; a Guard cannot both require certificate-bound tokens and skip their check: set one of them")
	}
	d := &cfg.DPoP
	switch d.Mode {
	case DPoPOff:
		for _, f := range [...]struct {
			name string
			set  bool
		}{
			{"Algorithms", len(d.Algorithms) > 0},
			{"ProofWindow", d.ProofWindow != 0},
			{"Replay", d.Replay != nil},
			{"NonceSecrets", len(d.NonceSecrets) > 0},
			{"NonceLifetime", d.NonceLifetime != 0},
			{"ExternalURL", d.ExternalURL != ""},
			{"TrustForwardedHeaders", d.TrustForwardedHeaders},
			{"Now", d.Now != nil},
		} {
			if f.set {
				return configError("DPoP.Mode", "is DPoPOff, yet DPoP.%s is set; set Mode to DPoPAllowed or DPoPRequired to check DPoP proofs, or leave DPoP zero", f.name)
			}
		}
	case DPoPAllowed:
	case DPoPRequired:
		for _, f := range [...]struct {
			name string
			set  bool
		}{
			{"FormToken", cfg.FormToken},
			{"InsecureQueryToken", cfg.InsecureQueryToken},
			{"CookieName", cfg.CookieName != ""},
		} {
			if f.set {
				return configError(f.name, "is set with DPoP.Mode DPoPRequired; a DPoP token comes only in the Authorization header, so this source could carry only Bearer tokens, which the Guard refuses")
			}
		}
	default:
		return configError("DPoP.Mode", "is %v; want DPoPOff (the zero value), DPoPAllowed or DPoPRequired", d.Mode)
	}
	return nil
}
