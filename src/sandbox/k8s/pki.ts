import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/**
 * The emulator's certificate authority. Keys come from node:crypto (fast, native); node-forge
 * only builds and signs the X.509 certificates. Keys are made once per process and reused by
 * every emulator started in it; certificates are made per emulator and per issued kubeconfig.
 */
interface KeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

let keys: { ca: KeyPair; server: KeyPair; client: KeyPair } | undefined;

function rsaKey(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function processKeys(): { ca: KeyPair; server: KeyPair; client: KeyPair } {
  keys ??= { ca: rsaKey(), server: rsaKey(), client: rsaKey() };
  return keys;
}

export interface Pki {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** A client certificate for one cluster: CN = user, OU = cluster id, valid `days` days. */
  issueClient(clusterId: string, user: string, days: number, now: Date): ClientCert;
}

export interface ClientCert {
  certPem: string;
  keyPem: string;
  notAfter: Date;
}

type Attr = { name?: string; shortName?: string; value: string };

function makeCert(opts: {
  subject: Attr[];
  issuer: Attr[];
  publicKeyPem: string;
  signingKeyPem: string;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicKeyPem);
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = opts.notBefore;
  cert.validity.notAfter = opts.notAfter;
  cert.setSubject(opts.subject);
  cert.setIssuer(opts.issuer);
  cert.setExtensions(opts.extensions);
  cert.sign(forge.pki.privateKeyFromPem(opts.signingKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** A fresh CA and a server certificate for 127.0.0.1 / localhost. */
export function createPki(now: Date): Pki {
  const k = processKeys();
  const caName: Attr[] = [{ name: 'commonName', value: 'cce-harden sandbox kubernetes CA' }];
  const notBefore = new Date(now.getTime() - 60_000);
  const caPem = makeCert({
    subject: caName,
    issuer: caName,
    publicKeyPem: k.ca.publicKeyPem,
    signingKeyPem: k.ca.privateKeyPem,
    notBefore,
    notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const serverCertPem = makeCert({
    subject: [{ name: 'commonName', value: 'kube-apiserver' }],
    issuer: caName,
    publicKeyPem: k.server.publicKeyPem,
    signingKeyPem: k.ca.privateKeyPem,
    notBefore,
    notAfter: new Date(now.getTime() + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return {
    caPem,
    serverCertPem,
    serverKeyPem: k.server.privateKeyPem,
    issueClient(clusterId, user, days, at) {
      const notAfter = new Date(at.getTime() + days * 86_400_000);
      const certPem = makeCert({
        subject: [
          { name: 'commonName', value: user },
          { shortName: 'OU', value: clusterId },
        ],
        issuer: caName,
        publicKeyPem: k.client.publicKeyPem,
        signingKeyPem: k.ca.privateKeyPem,
        notBefore: new Date(at.getTime() - 60_000),
        notAfter,
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', clientAuth: true },
        ],
      });
      return { certPem, keyPem: k.client.privateKeyPem, notAfter };
    },
  };
}
