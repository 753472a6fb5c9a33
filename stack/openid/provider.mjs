// A real OpenID provider for Vantage's tests: oidc-provider (a certified
// implementation) on a loopback port, with one confidential test client and
// two users in different groups. Its own login form (devInteractions) takes
// the user's name; the ID token carries `groups`.
//
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!redirectUri) {
  console.error('usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI');
  process.exit(2);
}

// Known by `sub`, which never changes; the e-mail and name may.
const accounts = {
  ana: { sub: 'ana', preferred_username: 'ana', name: 'Ana Lima', email: 'ana@example.com', groups: ['staff', 'vantage-editors'] },
  bo: { sub: 'bo', preferred_username: 'bo', name: 'Bo Berg', email: 'bo@example.com', groups: ['staff'] },
};

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  // The scopes' claims in the ID token itself, not only from userinfo.
  conformIdTokenClaims: false,
  cookies: { keys: ['vantage-test-provider-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { ...account }; } };
  },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
