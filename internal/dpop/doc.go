// Package dpop checks DPoP proofs (RFC 9449) for a resource server. It is
// not API: the middleware calls it for each request that presents a token
// with the DPoP scheme.
//
// # The model
//
// A client that holds a key pair asks the authorization server for a token
// bound to the key's RFC 7638 thumbprint (the token's cnf.jkt). With every
// request it sends the token as "Authorization: DPoP <token>" and a proof in
// one DPoP header: a JWT, signed with its private key, that carries the
// public key (jwk), names the request (htm, htu), the moment (iat), the token
// (ath, its SHA-256) and a unique jti. A stolen token is then useless without
// the key, and a stolen proof is useless for another request, another token,
// after its window, or a second time.
//
// The middleware verifies the token first (jwtverify or introspection),
// then calls [Checker.Check] with the request's method, its URL (from
// [Checker.RequestURL]), the token and the token's cnf.jkt:
//
//	proof, ok, err := dpop.HeaderProof(r.Header) // exactly one DPoP header
//	url, err := checker.RequestURL(r)
//	res, err := checker.Check(ctx, proof, dpop.Request{
//		Method: r.Method, URL: url, AccessToken: token,
//		KeyThumbprint: claims.Confirmation.KeyThumbprint,
//	})
//	// res.Nonce, when set, goes into a DPoP-Nonce header of the answer.
//
// # What is checked
//
// Everything RFC 9449 §4.3 lists for a proof that comes with an access token
// (see [Checker.Check]), strictly: the proof is at most [MaxProofBytes], one
// compact JWS whose JSON has no duplicate or case-folded member names; typ is
// dpop+jwt; alg is an allowed asymmetric algorithm that fits the key (never
// none or HMAC); the jwk is an RSA (2048 to 8192 bits), EC (P-256, P-384,
// P-521, the point on its curve) or Ed25519 public key in its one canonical
// encoding, without private or symmetric members, parsed here without jwx;
// the signature verifies with it; htm is the method; htu is the request URL,
// both normalised as RFC 3986 §6.2.2 and §6.2.3 say (case of scheme and
// host, default port, percent-encoding, dot segments; query and fragment
// ignored); iat lies within the window (60s either way by default); ath is
// the token's hash; the key's thumbprint is the token's cnf.jkt, compared in
// constant time; with server nonces on, the nonce is one this server issued
// in the current or the previous time step; and the proof was not seen
// before.
//
// Replay: a proof is remembered, under the SHA-256 of its normalised htu and
// its jti (RFC 9449 §11.1 keys jti by the target URI; a proof names one URL
// anyway), until its iat plus the window, after which its iat refuses it.
// Only proofs that passed every other check are remembered, so a client
// without a valid token and key cannot fill the store. The default store
// holds 1,536,000 proofs in memory (about 29 bytes each, 43 MiB when full),
// which is about 25,000 proofs per second with the default window, spread
// over 64 locked shards so that it scales with cores; it drops expired
// proofs lazily, and when full of live ones it fails closed (an error
// matching jwtverify.ErrUnavailable, HTTP 503) rather than forget a proof
// that could be replayed. A fleet shares one [ReplayStore].
//
// Server nonces (RFC 9449 §9) are stateless: an HMAC-SHA256 of the time
// step under a secret that every instance of a fleet shares. A nonce is
// accepted for one to two lifetimes; a proof that uses one from the previous
// step, or from a secret that is no longer the first, earns a fresh one
// ([Result.Nonce]); a proof without a valid one gets a [*NonceError] that
// carries the nonce to send (use_dpop_nonce).
//
// # Limits
//
// It does NOT verify the access token, nor enforce that a bound token comes
// with the DPoP scheme (the middleware does both), nor check that there was
// one DPoP header unless the caller uses [HeaderProof]. It cannot tell a
// proof made by the client from one made by malware on the client's device
// with the client's key (RFC 9449 §11.2 pre-generation: a short window and
// server nonces limit how far ahead proofs can be made; nonces stop it). htu
// normalisation follows RFC 3986, so a router that maps "/a/../b" and "/b" to
// different handlers sees one proof accepted for both: route on clean paths.
// The in-memory store is per process: instances that do not share a store
// each accept a proof once.
package dpop
