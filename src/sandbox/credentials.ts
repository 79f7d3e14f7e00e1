/**
 * Demo credentials the sandbox accepts by default. They only ever unlock the local emulator, so
 * they can be printed and committed. The shapes match real ones (20-char AK, 40-char SK, 32-hex
 * project id) so that code validating credential formats treats them like real keys.
 */
export const SANDBOX_CREDENTIALS = Object.freeze({
  ak: 'SANDBOXAK0CCEHARDEN1',
  sk: 'sandboxSecretKey0000000000000000cceHarden',
  projectId: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
  region: 'cn-north-4',
});

export interface SandboxKeyPair {
  ak: string;
  sk: string;
}
