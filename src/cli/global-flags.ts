/** The flags every command accepts (the contract's global flags), in --help order. */
import { flag, positiveInt, type FlagValues } from './command.js';
import { OUTPUT_FORMATS } from './output.js';

export const GLOBAL_FLAGS = {
  region: flag.string(
    '--region <id[,id...]>',
    'region id(s), e.g. cn-north-4 (default: HUAWEICLOUD_SDK_REGION)',
  ),
  projectId: flag.string(
    '--project-id <id|region=id,...>',
    'project id (default: HUAWEICLOUD_SDK_PROJECT_ID)',
  ),
  securityGroup: flag.string(
    '--security-group <id>',
    "the Turbo cluster's ENI security group, when its name cannot be matched",
  ),
  output: flag.choiceOr('--output <format>', 'result format on stdout', OUTPUT_FORMATS, 'text'),
  json: flag.boolean('--json', 'same as --output json'),
  out: flag.string('--out <file>', 'write the result to a file (atomically) instead of stdout'),
  force: flag.boolean('--force', 'replace an existing --out file without asking'),
  quiet: flag.boolean('-q, --quiet', 'print only problems'),
  sandbox: flag.boolean(
    '--sandbox',
    'run against the built-in sandbox cloud (state kept between runs)',
  ),
  debug: flag.boolean('--debug', 'log requests, retries and stack traces to stderr'),
  color: flag.boolean('--no-color', 'no colour in output'),
  concurrency: flag.numberOr(
    '--concurrency <n>',
    'parallel per-cluster API calls',
    positiveInt,
    8,
    { hidden: true },
  ),
} as const;

/** The global flags as given, typed (the output mode and colour are settled by config.ts). */
export type GlobalFlags = FlagValues<typeof GLOBAL_FLAGS>;
