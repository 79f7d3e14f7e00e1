import type { CloudConfig } from '../cloud/clients.js';
import type { IamProjectResolver } from '../cloud/iam.js';
import type { Retrier } from '../cloud/retry.js';

/**
 * Project ids per region for a run: the configured mapping first; a region left without one (only
 * possible with CCE_HARDEN_PROJECT_LOOKUP=iam) is looked up read-only in IAM, once per region and
 * run, through the run's Retrier so the look-up shares its backoff.
 */
export class RunProjects {
  private resolver: Promise<IamProjectResolver> | undefined;

  constructor(
    /** CCE_HARDEN_IAM_ENDPOINT; the global IAM endpoint when undefined. */
    private readonly iamEndpoint: string | undefined,
    private readonly retrier: Retrier,
  ) {}

  /** The config with its project id filled in; unchanged when it already has one. */
  async complete(config: CloudConfig): Promise<CloudConfig> {
    if (config.projectId) return config;
    const resolver = await this.iam(config);
    return { ...config, projectId: await resolver.projectIdOf(config.region) };
  }

  private iam(config: CloudConfig): Promise<IamProjectResolver> {
    // Loaded on first use: runs with every project id configured never load the IAM client.
    this.resolver ??= import('../cloud/iam.js').then(
      ({ IamProjectResolver }) =>
        new IamProjectResolver(
          {
            credentials: config.credentials,
            endpoint: this.iamEndpoint,
            timeoutMs: config.timeoutMs,
            userAgent: config.userAgent,
          },
          this.retrier,
        ),
    );
    return this.resolver;
  }
}
