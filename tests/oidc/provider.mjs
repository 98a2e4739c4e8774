// A real OpenID provider for tests/test_oidc.py: oidc-provider (the npm registry's certified
// OpenID Connect server) on 127.0.0.1, with one confidential client and a few accounts.
//
//   CLIENT_ID=... CLIENT_SECRET=... node tests/oidc/provider.mjs PORT REDIRECT_URI
//
// The sign-in and consent pages are oidc-provider's development interactions: any login name
// that is an account below, any password. PKCE is required of the client. The provider prints
// "ready <issuer>" on standard output once it listens.
import Provider from 'oidc-provider';

const [port, redirectUri] = process.argv.slice(2);
const { CLIENT_ID, CLIENT_SECRET } = process.env;
if (!port || !redirectUri || !CLIENT_ID || !CLIENT_SECRET) {
  console.error('usage: CLIENT_ID=... CLIENT_SECRET=... node provider.mjs PORT REDIRECT_URI');
  process.exit(2);
}

// Login name -> claims. The email claims reach the client through the userinfo endpoint (the
// ID token carries only what it must: oidc-provider's default).
const ACCOUNTS = {
  olga: { email: 'olga@example.org', email_verified: true, name: 'Olga Provider' },
  tess: { email: 'tess@example.org', email_verified: true, name: 'Tess Twofactor' },
  nina: { email: 'nina@example.org', email_verified: true, name: 'Nina Newcomer' },
  uma: { email: 'uma@example.org', email_verified: false, name: 'Uma Unverified' },
};

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['tests only: not a secret'] },
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
