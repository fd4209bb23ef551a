import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '../../shared/node/log.js';

export type Tags = Record<string, string>;

export interface NamespaceRecord {
  id: string;
  name: string;
  arn: string;
  region: string;
  adminUsername?: string;
  dbName: string;
  iamRoles: string[];
  defaultIamRoleArn?: string;
  createdAt: number;
  /** When DeleteNamespace was accepted; the namespace is gone once the pace's deleting time has passed. */
  deletingSince?: number;
  tags: Tags;
}

export interface WorkgroupRecord {
  id: string;
  name: string;
  arn: string;
  region: string;
  namespaceName: string;
  baseCapacity: number;
  maxCapacity?: number;
  publiclyAccessible: boolean;
  port: number;
  subnetIds: string[];
  securityGroupIds: string[];
  createdAt: number;
  /** An UpdateWorkgroup in progress: MODIFYING until then. */
  modifyingUntil?: number;
  deletingSince?: number;
  tags: Tags;
}

export interface ServerlessPacing {
  creatingMs: number;
  modifyingMs: number;
  deletingMs: number;
}

export type WorkgroupStatus = 'CREATING' | 'AVAILABLE' | 'MODIFYING' | 'DELETING';
export type NamespaceStatus = 'AVAILABLE' | 'DELETING';

/**
 * The namespaces and workgroups of every account and region the sandbox has served, kept in one JSON file
 * with the sandbox's state so they outlive a restart. A status is derived from when things happened and the
 * sandbox's pace, as the Redshift cluster's "creating" is, so a restart mid-creation carries on where it was.
 */
export class ServerlessRegistry {
  private namespaces: NamespaceRecord[] = [];
  private workgroups: WorkgroupRecord[] = [];

  constructor(
    private readonly statePath: string,
    readonly pace: ServerlessPacing,
    private readonly log: Logger,
  ) {
    this.restore();
  }

  namespaceStatus(namespace: NamespaceRecord): NamespaceStatus {
    return namespace.deletingSince === undefined ? 'AVAILABLE' : 'DELETING';
  }

  workgroupStatus(workgroup: WorkgroupRecord, now = Date.now()): WorkgroupStatus {
    if (workgroup.deletingSince !== undefined) return 'DELETING';
    if (now - workgroup.createdAt < this.pace.creatingMs) return 'CREATING';
    if (workgroup.modifyingUntil !== undefined && now < workgroup.modifyingUntil) return 'MODIFYING';
    return 'AVAILABLE';
  }

  listNamespaces(region: string): NamespaceRecord[] {
    this.sweep();
    return this.namespaces.filter((found) => found.region === region);
  }

  listWorkgroups(region: string): WorkgroupRecord[] {
    this.sweep();
    return this.workgroups.filter((found) => found.region === region);
  }

  namespace(region: string, name: string): NamespaceRecord | undefined {
    return this.listNamespaces(region).find((found) => found.name === name);
  }

  workgroup(region: string, name: string): WorkgroupRecord | undefined {
    return this.listWorkgroups(region).find((found) => found.name === name);
  }

  /** Any namespace or workgroup, by its ARN (the tagging operations name resources so). */
  byArn(arn: string): NamespaceRecord | WorkgroupRecord | undefined {
    this.sweep();
    return [...this.namespaces, ...this.workgroups].find((found) => found.arn === arn);
  }

  addNamespace(record: Omit<NamespaceRecord, 'id' | 'arn' | 'createdAt'>, account: string): NamespaceRecord {
    return this.add(this.namespaces, 'namespace', record, account);
  }

  addWorkgroup(record: Omit<WorkgroupRecord, 'id' | 'arn' | 'createdAt'>, account: string): WorkgroupRecord {
    return this.add(this.workgroups, 'workgroup', record, account);
  }

  /** A new record with AWS's kind of id and ARN, kept at once. */
  private add<T extends NamespaceRecord | WorkgroupRecord>(
    into: T[],
    kind: 'namespace' | 'workgroup',
    record: Omit<T, 'id' | 'arn' | 'createdAt'>,
    account: string,
  ): T {
    const id = randomUUID();
    const added = {
      ...record,
      id,
      arn: `arn:aws:redshift-serverless:${record.region}:${account}:${kind}/${id}`,
      createdAt: Date.now(),
    } as T;
    into.push(added);
    this.save();
    return added;
  }

  /** Applies `change` to a record this registry holds and keeps the result. */
  update<T extends NamespaceRecord | WorkgroupRecord>(record: T, change: Partial<T>): T {
    Object.assign(record, change);
    this.save();
    return record;
  }

  /** What finished deleting is forgotten. */
  private sweep(now = Date.now()): void {
    const gone = (record: { deletingSince?: number }) =>
      record.deletingSince !== undefined && now - record.deletingSince >= this.pace.deletingMs;
    const before = this.namespaces.length + this.workgroups.length;
    this.namespaces = this.namespaces.filter((record) => !gone(record));
    this.workgroups = this.workgroups.filter((record) => !gone(record));
    if (this.namespaces.length + this.workgroups.length !== before) this.save();
  }

  private restore(): void {
    if (!existsSync(this.statePath)) return;
    try {
      const saved = JSON.parse(readFileSync(this.statePath, 'utf8')) as { namespaces: NamespaceRecord[]; workgroups: WorkgroupRecord[] };
      this.namespaces = saved.namespaces;
      this.workgroups = saved.workgroups;
    } catch (error) {
      const aside = `${this.statePath}.unreadable-${Date.now()}`;
      renameSync(this.statePath, aside);
      this.log.warn('redshift-serverless', `Could not read the namespaces and workgroups; kept them as ${aside}`, error);
    }
  }

  private save(): void {
    const temporary = `${this.statePath}.tmp`;
    writeFileSync(temporary, JSON.stringify({ namespaces: this.namespaces, workgroups: this.workgroups }), { mode: 0o600 });
    renameSync(temporary, this.statePath);
  }
}
