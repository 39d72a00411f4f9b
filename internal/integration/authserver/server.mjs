// Authorization server for tokenguard's integration tests: oidc-provider,
// configured as a client_credentials-only OAuth 2.0 server. Test use only:
// the client secrets below are public, and it listens on 127.0.0.1 only.
//
//   node server.mjs [port]
//
// Environment:
//   TOKENGUARD_AS_PORT      port to listen on (argv[2] wins); 0 or unset: any free port
//   TOKENGUARD_AS_KEYS      path of a JWK Set file holding the private signing keys
//                           (RSA, EC P-256, OKP Ed25519); unset: fresh keys each start
//   TOKENGUARD_AS_LIFELINE  "1": exit when stdin reaches EOF (the parent went away)
//
// Once it listens, it prints one line "ISSUER=http://127.0.0.1:<port>" on stdout.
// Restarting it on the same port with another key file is a key rotation.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import { errors, Provider } from 'oidc-provider';

// Clients. The API client gets tokens; the resource-server client only
// authenticates at the introspection endpoint.
const API_CLIENT = { id: 'tokenguard-api-client', secret: 'api-client-secret-for-tests-only' };
const RS_CLIENT = { id: 'tokenguard-resource-server', secret: 'resource-server-secret-for-tests-only' };

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

function configuration() {
  return {
    jwks: loadKeys(),
    clients: [
      {
        client_id: API_CLIENT.id,
        client_secret: API_CLIENT.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: CLIENT_SCOPES,
      },
      {
        client_id: RS_CLIENT.id,
        client_secret: RS_CLIENT.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // Listing the scopes makes the client's scope list an allow-list:
    // asking for orders:admin is refused with invalid_scope.
    scopes: ['openid', 'offline_access', ...ALL_SCOPES],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The resource server may introspect any token; a client only its own.
        allowedPolicy: async (ctx, client, token) => client.clientId === RS_CLIENT.id || client.clientId === token.clientId,
      },
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

function main() {
  const port = portFromArgs();
  const configured = configuration(); // fail on bad keys before listening
  const server = http.createServer();
  server.on('error', (err) => {
    console.error(`authserver: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => {
    const issuer = `http://127.0.0.1:${server.address().port}`;
    const provider = new Provider(issuer, configured);
    provider.on('server_error', (ctx, err) => console.error('authserver: server_error:', err));
    server.on('request', provider.callback());
    process.stdout.write(`ISSUER=${issuer}\n`);
  });

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.env.TOKENGUARD_AS_LIFELINE === '1') {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
}

main();
