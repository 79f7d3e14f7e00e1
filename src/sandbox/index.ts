/** The sandbox: a local CCE + VPC v3 (+ IAM project lookup) emulator. See SPEC.md. */
export { SANDBOX_CREDENTIALS, type SandboxKeyPair } from './credentials.js';
export { startSandbox, type SandboxHandle, type SandboxOptions } from './server.js';
export { demoWorld, DEMO_EXISTING_POST_INSTALL } from './demo-world.js';
export {
  WorldBuilder,
  DEFAULT_RULE_QUOTA,
  subInterfaceDescription,
  type HardenedVariant,
  type ManyTurboOptions,
  type NodePoolOptions,
  type ProjectOptions,
  type RuleOptions,
  type SecurityGroupOptions,
  type StandardClusterOptions,
  type TurboClusterOptions,
} from './world-builder.js';
export {
  findCluster,
  findProject,
  findSecurityGroup,
  ruleQuotaOf,
  rulesOfGroup,
  type World,
  type WorldCluster,
  type WorldProject,
  type WireSecurityGroup,
  type WireSecurityGroupRule,
  type WireSubNetworkInterface,
  type WireSubnet,
} from './world.js';
export type {
  WireAddon,
  WireCluster,
  WireClusterEndpoints,
  WireEndpointsObject,
  WireNodePool,
} from './wire-cce.js';
export { HARDENING_DESCRIPTION_PREFIX, hardeningDescription } from './fixtures/security-groups.js';
export {
  DEFAULT_CLIENT_ID,
  DEFAULT_IDP_ID,
  DEFAULT_ISSUER,
  type FederationHandle,
  type FederationOptions,
  type IdTokenOptions,
  type IssuedCredential,
} from './federation.js';
export { FaultInjector, type FaultHandle, type FaultSpec } from './faults.js';
export type { RequestLogEntry } from './request-log.js';
export {
  loadWorld,
  resetSandboxState,
  SandboxStateError,
  STATE_MARKER_KEY,
  withPersistentSandbox,
  writeWorldAtomically,
} from './persistence.js';
export { defaultSandboxStatePath } from './state-path.js';
export {
  canonicalRequest,
  formatSdkDate,
  signRequest,
  stringToSign,
  verifyRequest,
  type SignInput,
  type VerifyInput,
  type VerifyResult,
} from './signing.js';
