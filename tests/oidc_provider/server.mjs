// A certified OpenID provider (panva's oidc-provider) for tests/browser/test_login.py.
//
// Configured the way the issue asks the console to cope with: ID tokens signed
// with an Ed25519 key under the fully-specified algorithm name "Ed25519",
// 60-second access tokens (JWTs for the `govproj` audience through a resource
// indicator, signed "EdDSA", which the services verify), rotating refresh
// tokens, RP-initiated logout, and the provider's own login form
// (devInteractions: any password), so a test can see whether it asks again.
//
// Environment: PORT, PORTAL_URL, ACCOUNTS (JSON: login -> {tenant, roles, unit, name}).
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const portal = process.env.PORTAL_URL;
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');
const RESOURCE = 'urn:govproj:api';
const TTL = Number(process.env.ACCESS_TOKEN_SECONDS || 60);

const { privateKey } = generateKeyPairSync('ed25519');
const signing = { ...privateKey.export({ format: 'jwk' }), kid: 'test-ed25519', use: 'sig' };

function person(id) {
  const a = accounts[id] || {};
  return {
    sub: id,
    name: a.name || id,
    preferred_username: id,
    tenant: a.tenant,
    roles: a.roles || [],
    ...(a.unit ? { unit: a.unit } : {}),
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'govproj-portal',
      token_endpoint_auth_method: 'none',
      application_type: 'web',
      redirect_uris: [`${portal}/callback`],
      post_logout_redirect_uris: [`${portal}/signed-out`],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'Ed25519',
    },
  ],
  jwks: { keys: [signing] },
  cookies: { keys: ['govproj-test-only'] },
  pkce: { required: () => true },
  // The console reads who the person is from the ID token, as it does from Keycloak's.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'tenant', 'roles', 'unit'],
  },
  ttl: {
    AccessToken: TTL,
    IdToken: TTL,
    AuthorizationCode: 60,
    RefreshToken: 3600,
    Grant: 3600,
    Session: 3600,
    Interaction: 600,
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: 'govproj',
        accessTokenTTL: TTL,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'EdDSA' } },
      }),
    },
  },
  findAccount: (ctx, id) => ({ accountId: id, claims: () => person(id) }),
  // The services read the tenant, roles and unit from the access token.
  extraTokenClaims: (ctx, token) => {
    if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
    const { sub, ...claims } = person(token.accountId);
    return claims;
  },
  // Keycloak issues a refresh token with every code flow; so does this provider here.
  issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
  // A first-party client: no consent screen, only the login.
  loadExistingGrant: async (ctx) => {
    const existing = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) {
      const found = await ctx.oidc.provider.Grant.find(existing);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile');
    grant.addResourceScope(RESOURCE, 'api');
    await grant.save();
    return grant;
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
