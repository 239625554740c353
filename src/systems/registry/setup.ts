// The one way to build a RegistryClient, from what the CLI and the actions are given: named
// credentials first, then the docker config.
import { RegistryClient } from './client.js';
import { credentialLookup, defaultDockerConfigPath, loadDockerConfig, type CredentialSources, type NamedCredential } from './credentials.js';
import { parseReference } from './reference.js';

export interface ClientSetup {
  env?: NodeJS.ProcessEnv;
  /** Named credentials (the action input); matched by registry host. */
  named?: readonly NamedCredential[];
  /** Hosts to reach over plain HTTP or unverified TLS. */
  insecure?: readonly string[];
  /** A docker config.json; by default `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, if present. */
  dockerConfigPath?: string;
  /** Logins already read from a docker config; when given, no file is read. */
  dockerConfig?: CredentialSources['dockerConfig'];
}

export function createRegistryClient(setup: ClientSetup = {}): RegistryClient {
  const dockerConfig = setup.dockerConfig ?? loadDockerConfig(setup.dockerConfigPath ?? defaultDockerConfigPath(setup.env ?? process.env), { optional: setup.dockerConfigPath === undefined });
  return new RegistryClient({ credentials: credentialLookup({ named: setup.named, dockerConfig }), insecure: setup.insecure });
}

export { parseReference };
