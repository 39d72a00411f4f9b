// Authorization server for tokenguard's integration tests: oidc-provider,
// configured as a client_credentials-only OAuth 2.0 server that also issues
// sender-constrained tokens: DPoP-bound (RFC 9449) and certificate-bound
// (RFC 8705). Test use only: the client secrets below are public, and it
// listens on 127.0.0.1 only.
//
//   node server.mjs [port]
//
// Environment:
//   TOKENGUARD_AS_PORT      port to listen on (argv[2] wins); 0 or unset: any free port
//   TOKENGUARD_AS_KEYS      path of a JWK Set file holding the private signing keys
//                           (RSA, EC P-256, OKP Ed25519); unset: fresh keys each start
//   TOKENGUARD_AS_TLS_CERT  path of a PEM certificate (chain) and of its PEM private
//   TOKENGUARD_AS_TLS_KEY   key: with both set, the provider is also served over HTTPS
//                           on another free port, which asks every client for a
//                           certificate (without checking it against any CA) and
//                           binds the tokens of certificate-bound clients to it; the
//                           discovery document names that listener's endpoints in
//                           mtls_endpoint_aliases (RFC 8705 section 5). Unset: HTTP only.
//   TOKENGUARD_AS_LIFELINE  "1": exit when stdin reaches EOF (the parent went away)
//
// Once it listens, it prints one line "ISSUER=http://127.0.0.1:<port>" on stdout.
// Restarting it on the same port with another key file is a key rotation.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

import { errors, Provider } from 'oidc-provider';

// Clients. The API client gets tokens: Bearer ones, or DPoP-bound ones
// when it sends a DPoP proof. The DPoP client gets DPoP-bound tokens only,
// and its proofs must carry a server nonce. The mTLS client's tokens are
// bound to the certificate it presents on the HTTPS listener. The
// resource-server client only authenticates at the introspection endpoint.
const API_CLIENT = { id: 'tokenguard-api-client', secret: 'api-client-secret-for-tests-only' };
const DPOP_CLIENT = { id: 'tokenguard-dpop-client', secret: 'dpop-client-secret-for-tests-only' };
const MTLS_CLIENT = { id: 'tokenguard-mtls-client', secret: 'mtls-client-secret-for-tests-only' };
const RS_CLIENT = { id: 'tokenguard-resource-server', secret: 'resource-server-secret-for-tests-only' };
// RFC 9701: a second resource server whose signed introspection answers
// (features.jwtIntrospection) use ES256. With the feature on, any client
// that asks (Accept: application/token-introspection+jwt) gets signed
// answers, with RS256 unless it registered introspection_signed_response_alg;
// clients that do not ask still get JSON.
const SIGNED_RS_CLIENT = { id: 'tokenguard-signed-resource-server', secret: 'signed-resource-server-secret-for-tests-only' };

// The endpoints, stated here (they are oidc-provider's defaults) because
// mtls_endpoint_aliases must name them before the provider exists.
const ROUTES = { token: '/token', introspection: '/token/introspection', revocation: '/token/revocation' };

// Every asymmetric JWS algorithm for DPoP proofs (oidc-provider allows only
// ES256 and EdDSA by default), so that proofs of each key type can be tested.
const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

// Scopes the API client may request. orders:admin exists, but this client
// may not have it: it is what a route can require to get a 403.
const CLIENT_SCOPES = 'orders:read orders:write';
const ALL_SCOPES = ['orders:read', 'orders:write', 'orders:admin'];

// Resource indicators (RFC 8707) and what a token for each looks like.
const jwtResource = (alg, extra = {}) => ({
  scope: ALL_SCOPES.join(' '),
  accessTokenFormat: 'jwt',
  accessTokenTTL: 300,
  jwt: { sign: { alg } },
  ...extra,
});
const RESOURCES = new Map([
  ['https://rs256.api.test/', jwtResource('RS256')],
  ['https://ps256.api.test/', jwtResource('PS256')],
  ['https://es256.api.test/', jwtResource('ES256')],
  ['https://eddsa.api.test/', jwtResource('EdDSA')],
  // A resource the tests' resource server is not: its tokens have the wrong audience.
  ['https://other.api.test/', jwtResource('ES256')],
  // Expiry tests: lives 2 seconds.
  ['https://short.api.test/', jwtResource('ES256', { accessTokenTTL: 2 })],
  // Introspection tests: opaque tokens (the server refuses to introspect its JWTs).
  ['https://opaque.api.test/', { scope: ALL_SCOPES.join(' '), accessTokenFormat: 'opaque', accessTokenTTL: 300 }],
]);

function loadKeys() {
  const file = process.env.TOKENGUARD_AS_KEYS;
  if (file) {
    const jwks = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
      throw new Error(`${file}: not a JWK Set with keys`);
    }
    return jwks;
  }
  // No file: one fresh key per key type, enough for every resource above.
  const fresh = (type, options) => crypto.generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      fresh('rsa', { modulusLength: 2048 }),
      fresh('ec', { namedCurve: 'P-256' }),
      fresh('ed25519'),
    ],
  };
}

function portFromArgs() {
  const raw = process.argv[2] ?? process.env.TOKENGUARD_AS_PORT ?? '0';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port ${JSON.stringify(raw)}`);
  }
  return port;
}

// tlsFromEnv returns the HTTPS listener's certificate and key, or
// undefined when the environment names neither.
function tlsFromEnv() {
  const certFile = process.env.TOKENGUARD_AS_TLS_CERT;
  const keyFile = process.env.TOKENGUARD_AS_TLS_KEY;
  if (!certFile && !keyFile) {
    return undefined;
  }
  if (!certFile || !keyFile) {
    throw new Error('TOKENGUARD_AS_TLS_CERT and TOKENGUARD_AS_TLS_KEY must be set together');
  }
  return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
}

// The client certificate of the request's TLS connection, or undefined on
// the HTTP listener or when the client sent none. Nothing checks it against
// a CA: for certificate-bound tokens (RFC 8705 section 3) only its hash
// matters, and the client authenticates with its secret.
function peerCertificate(ctx) {
  return ctx.socket.getPeerX509Certificate?.() ?? undefined;
}

function configuration(jwks, mtlsBase) {
  const client = (c, extra) => ({
    client_id: c.id,
    client_secret: c.secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: CLIENT_SCOPES,
    ...extra,
  });
  return {
    jwks,
    clients: [
      client(API_CLIENT),
      client(DPOP_CLIENT, { dpop_bound_access_tokens: true }),
      client(MTLS_CLIENT, { tls_client_certificate_bound_access_tokens: true }),
      {
        client_id: RS_CLIENT.id,
        client_secret: RS_CLIENT.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      // RFC 9701 (signed introspection answers): see SIGNED_RS_CLIENT.
      {
        client_id: SIGNED_RS_CLIENT.id,
        client_secret: SIGNED_RS_CLIENT.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        introspection_signed_response_alg: 'ES256',
      },
    ],
    // Listing the scopes makes the client's scope list an allow-list:
    // asking for orders:admin is refused with invalid_scope.
    scopes: ['openid', 'offline_access', ...ALL_SCOPES],
    routes: ROUTES,
    enabledJWA: { dPoPSigningAlgValues: DPOP_ALGS },
    // Added to oidc-provider's discovery document (RFC 8705 section 5).
    ...(mtlsBase && {
      discovery: {
        mtls_endpoint_aliases: {
          token_endpoint: mtlsBase + ROUTES.token,
          introspection_endpoint: mtlsBase + ROUTES.introspection,
          revocation_endpoint: mtlsBase + ROUTES.revocation,
        },
      },
    }),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: {
        enabled: true,
        // Server nonces (RFC 9449 section 8): stateless, from a secret
        // that lives as long as the process. Required of the DPoP client
        // only; the API client may send one.
        nonceSecret: crypto.randomBytes(32),
        requireNonce: (ctx) => ctx.oidc.client?.clientId === DPOP_CLIENT.id,
      },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        getCertificate: peerCertificate,
      },
      introspection: {
        enabled: true,
        // The resource server may introspect any token; a client only its own.
        allowedPolicy: async (ctx, client, token) => [RS_CLIENT.id, SIGNED_RS_CLIENT.id].includes(client.clientId) || client.clientId === token.clientId,
      },
      // RFC 9701: signed answers for clients that ask (see SIGNED_RS_CLIENT).
      jwtIntrospection: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientId === token.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (ctx, resource) => {
          const info = RESOURCES.get(resource);
          if (!info) {
            throw new errors.InvalidTarget(`unknown resource ${resource}`);
          }
          return structuredClone(info);
        },
      },
    },
    ttl: {
      ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL ?? 300,
    },
    clientBasedCORS: () => false,
  };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

async function main() {
  const port = portFromArgs();
  const tls = tlsFromEnv();
  const jwks = loadKeys(); // fail on bad keys before listening
  const servers = [http.createServer()];
  if (tls) {
    // requestCert without rejectUnauthorized: every client is asked for a
    // certificate, and any certificate (or none) is accepted.
    const mtls = https.createServer({ ...tls, requestCert: true, rejectUnauthorized: false });
    mtls.on('tlsClientError', (err) => console.error(`authserver: TLS handshake: ${err.message}`));
    servers.push(mtls);
  }

  const stop = () => {
    let open = servers.length;
    for (const server of servers) {
      server.close(() => {
        open -= 1;
        if (open === 0) {
          process.exit(0);
        }
      });
      server.closeAllConnections();
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.env.TOKENGUARD_AS_LIFELINE === '1') {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }

  const issuer = `http://127.0.0.1:${await listen(servers[0], port)}`;
  const mtlsBase = tls ? `https://127.0.0.1:${await listen(servers[1], 0)}` : undefined;
  const provider = new Provider(issuer, configuration(jwks, mtlsBase));
  provider.on('server_error', (ctx, err) => console.error('authserver: server_error:', err));
  const callback = provider.callback();
  for (const server of servers) {
    server.on('request', callback);
  }
  process.stdout.write(`ISSUER=${issuer}\n`);
}

main().catch((err) => {
  console.error(`authserver: ${err.message}`);
  process.exit(1);
});
