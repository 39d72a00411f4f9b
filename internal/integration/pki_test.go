package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testPKI holds the certificates of the mutual-TLS set-up. They are made
// when the tests run, so that no private key is ever committed: a CA, the
// certificate of the authorization server's HTTPS listener (for 127.0.0.1,
// signed by the CA), and client certificates on demand (signed by the CA
// too, although the server accepts any: only their hash is bound).
type testPKI struct {
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	roots *x509.CertPool // trusts ca alone

	// The HTTPS listener's certificate and private key, as PEM files that
	// server.mjs reads (TOKENGUARD_AS_TLS_CERT, TOKENGUARD_AS_TLS_KEY).
	serverCertFile string
	serverKeyFile  string
}

// certLifetime bounds every certificate to the test run.
const certLifetime = 24 * time.Hour

// newTestPKI makes a CA and a server certificate for 127.0.0.1, and writes
// the server's certificate and key to two files in dir (which the caller
// removes).
func newTestPKI(dir string) (*testPKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "tokenguard integration test CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	ca, err := createCertificate(caTemplate, nil, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("making the test CA: %w", err)
	}
	p := &testPKI{ca: ca, caKey: caKey, roots: x509.NewCertPool()}
	p.roots.AddCert(ca)

	server, err := p.issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return nil, fmt.Errorf("making the server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(server.PrivateKey)
	if err != nil {
		return nil, err
	}
	p.serverCertFile = filepath.Join(dir, "tls-server-cert.pem")
	p.serverKeyFile = filepath.Join(dir, "tls-server-key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Leaf.Raw})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(p.serverCertFile, certPEM, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p.serverKeyFile, keyPEM, 0o600); err != nil {
		return nil, err
	}
	return p, nil
}

// issue signs template with the CA for a new P-256 key and returns the
// certificate and key, ready for a tls.Config.
func (p *testPKI) issue(template *x509.Certificate) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	template.NotBefore = now.Add(-time.Minute)
	template.NotAfter = now.Add(certLifetime)
	template.KeyUsage = x509.KeyUsageDigitalSignature
	cert, err := createCertificate(template, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, nil
}

// clientCertificate returns a new client certificate with subject CN name,
// signed by the test CA, and its key: what a client puts in
// tls.Config.Certificates. Each call makes another key and certificate,
// so with another thumbprint.
func (p *testPKI) clientCertificate(t *testing.T, name string) tls.Certificate {
	t.Helper()
	cert, err := p.issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		t.Fatalf("making client certificate %q: %v", name, err)
	}
	return cert
}

// certificateThumbprint is the x5t#S256 confirmation of RFC 8705 section
// 3.1 for a TLS certificate: base64url (no padding) of the SHA-256 hash of
// its leaf's DER encoding.
func certificateThumbprint(cert tls.Certificate) string {
	sum := sha256.Sum256(cert.Certificate[0])
	return b64(sum[:])
}

// createCertificate signs template (self-signed when parent is nil) with a
// random 128-bit serial number and parses the result.
func createCertificate(template, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	template.SerialNumber = serial
	if parent == nil {
		parent = template
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
