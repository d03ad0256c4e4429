import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/** A resource of the synthesized CloudFormation template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** The one stack of the messenger's cloud assembly, as `cdk synth` wrote it. */
export interface StackAssembly {
  readonly stackName: string;
  readonly resources: ReadonlyMap<string, TemplateResource>;
  /** The folder of a bundled file asset, by the S3 object key the template refers to it with. */
  assetDirectory(objectKey: string): string;
}

interface Manifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string; file?: string } }>;
}

interface AssetManifest {
  files?: Record<string, { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }>;
}

async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Reads the template and the asset manifest of the single stack in `outDir`. */
export async function readStackAssembly(outDir: string): Promise<StackAssembly> {
  const manifest = await readJson<Manifest>(path.join(outDir, 'manifest.json'));
  const artifacts = Object.entries(manifest.artifacts ?? {});
  const stacks = artifacts.filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1) {
    throw new Error(`expected one stack in ${outDir}, found ${stacks.length}`);
  }
  const [[stackName, stack]] = stacks;
  const templateFile = stack.properties?.templateFile;
  if (!templateFile) throw new Error(`stack ${stackName} in ${outDir} names no template file`);
  const template = await readJson<{ Resources?: Record<string, TemplateResource> }>(path.join(outDir, templateFile));

  const assetDirs = new Map<string, string>();
  for (const [, artifact] of artifacts) {
    if (artifact.type !== 'cdk:asset-manifest' || !artifact.properties?.file) continue;
    const assets = await readJson<AssetManifest>(path.join(outDir, artifact.properties.file));
    for (const file of Object.values(assets.files ?? {})) {
      for (const destination of Object.values(file.destinations)) {
        assetDirs.set(destination.objectKey, path.join(outDir, file.source.path));
      }
    }
  }

  return {
    stackName,
    resources: new Map(Object.entries(template.Resources ?? {})),
    assetDirectory(objectKey) {
      const dir = assetDirs.get(objectKey);
      if (dir === undefined) throw new Error(`no asset in ${outDir} has the object key ${objectKey}`);
      return dir;
    },
  };
}

/** The resources of one CloudFormation type, by logical id. */
export function resourcesOfType(assembly: StackAssembly, type: string): Array<[string, TemplateResource]> {
  return [...assembly.resources].filter(([, resource]) => resource.Type === type);
}
