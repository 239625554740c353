// Templates as loaded from a repo, each keeping the parsed source for positions.
import type { SourceFile } from './yaml.js';

export interface Parameter {
  name: string;
  description?: string;
  default?: string | number | boolean;
  value?: string | number | boolean;
  required?: boolean;
}

export interface ImageSpec {
  context: string;
  dockerfile: string;
  image: string;
  tags: string[];
  credentials?: string;
  parameters: Parameter[];
  watch: string[];
  smoke: { name: string; run: string; timeout?: number }[];
  minimums?: 'coder';
  resources?: { cpu?: string | number; memory?: string | number };
  /** Build context from another repository at one commit (function images). */
  source?: GitSource;
  /** Linked source repositories: their new commits rebuild the image. */
  sources: LinkedSource[];
}

export interface GitSource {
  git: string;
  ref?: string;
  path?: string;
}

export interface LinkedSource {
  github?: string;
  git?: string;
  ref?: string;
}

export interface ImageTemplate {
  kind: 'image';
  name: string;
  /** Relative path of the YAML file, or of the Dockerfile for the convention layout. */
  file: string;
  /** Parsed YAML; absent for convention-layout images. */
  source?: SourceFile;
  spec: ImageSpec;
  /**
   * Set when this image is one variant of a template's `spec.variants` (index into that list)
   * or a variant Dockerfile of the convention layout (no index); `template` is the name the
   * variants share.
   */
  variant?: { name: string; template: string; index?: number };
}

export interface EnvValue {
  name: string;
  value: string | number | boolean | { fromSecret: { name: string; key: string } };
}

export interface ContainerSpec {
  name: string;
  primary?: boolean;
  github?: string;
  image?: string;
  devcontainer?: string;
  tag?: string;
  credentials?: string;
  cpu?: string | number;
  memory?: string | number;
  personalize?: string[];
  command?: string[];
  args?: string[];
  ports?: number[];
  env?: EnvValue[];
  volumes?: { name: string; mountPath: string; size?: string | number }[];
}

export interface EnvironmentTemplate {
  kind: 'environment';
  name: string;
  file: string;
  source: SourceFile;
  provider: 'kubernetes';
  containers: ContainerSpec[];
}

export interface SecretTemplate {
  kind: 'secret';
  name: string;
  file: string;
  source: SourceFile;
  recipients: string[];
  /** Key names in clear; the values stay encrypted (sops ENC[...] strings, or maps and lists of them). */
  data: Record<string, unknown>;
}

export interface TemplateRepo {
  /** Absolute path of the repository root (the folder holding `.coder/` and `images/`). */
  root: string;
  images: ImageTemplate[];
  environments: EnvironmentTemplate[];
  secrets: SecretTemplate[];
}
