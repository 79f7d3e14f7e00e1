import { makeRule, type RuleFields } from '../fixtures/security-groups.js';
import { vpcFail } from '../http/api-failure.js';
import type { Route, RouteContext } from '../http/router.js';
import { nextUuid } from '../ids.js';
import { paginate } from '../pagination.js';
import { normaliseCidr, normaliseRuleInput, sameRule } from '../rule-input.js';
import { invalidate } from '../world-index.js';
import { ruleQuotaOf, type WireSecurityGroupRule, type WorldProject } from '../world.js';
import { groupById, requireGroup, ruleById, rulesOf } from './vpc-lookup.js';

const BASE = '/v3/:pid/vpc/security-group-rules';

const DRY_RUN_MESSAGE = 'Request validation has been passed with dry run...';

/** ListSecurityGroupRules with the filters of docs/cloud-api.md, "VPC: security groups and rules"; repeated keys mean "any of". */
const listRules: Route = {
  operation: 'ListSecurityGroupRules',
  method: 'GET',
  pattern: BASE,
  scope: 'path',
  flavor: 'snake',
  handle({ project, query, requestId, paging }) {
    const sgIds = query.all('security_group_id');
    // One group is the common case (idempotency check): serve it from the index.
    const source =
      sgIds.length === 1 ? rulesOf(project, sgIds[0] ?? '') : project.securityGroupRules;
    const tests = ruleFilters(query);
    const items = source.filter((r) => tests.every((t) => t(r)));
    const { page, page_info } = paginate(items, query, paging);
    return { status: 200, body: { request_id: requestId, security_group_rules: page, page_info } };
  },
};

type RuleTest = (r: WireSecurityGroupRule) => boolean;

function ruleFilters(query: RouteContext['query']): RuleTest[] {
  const tests: RuleTest[] = [];
  const anyOf = (
    key: string,
    get: (r: WireSecurityGroupRule) => string | null,
    norm = (s: string) => s,
  ) => {
    const values = query.all(key);
    if (values.length === 0) return;
    const set = new Set(values.map(norm));
    tests.push((r) => {
      const v = get(r);
      return v !== null && set.has(norm(v));
    });
  };
  anyOf('id', (r) => r.id);
  anyOf('security_group_id', (r) => r.security_group_id);
  anyOf(
    'protocol',
    (r) => r.protocol,
    (s) => s.toLowerCase(),
  );
  anyOf('description', (r) => r.description);
  anyOf('remote_group_id', (r) => r.remote_group_id);
  anyOf('remote_address_group_id', (r) => r.remote_address_group_id);
  anyOf('direction', (r) => r.direction);
  anyOf('action', (r) => r.action);
  anyOf(
    'ethertype',
    (r) => r.ethertype,
    (s) => s.toLowerCase(),
  );
  const prefixes = query.all('remote_ip_prefix');
  if (prefixes.length > 0) {
    const set = new Set(prefixes.map(normalisePrefixFilter));
    tests.push((r) => r.remote_ip_prefix !== null && set.has(r.remote_ip_prefix));
  }
  const priorities = query.all('priority');
  if (priorities.length > 0) {
    const set = new Set(
      priorities.map((p) => {
        if (!/^\d+$/.test(p)) throw vpcFail(400, 'VPC.0002', `Invalid priority ${p}.`);
        return Number(p);
      }),
    );
    tests.push((r) => set.has(r.priority));
  }
  const enabled = query.one('enabled');
  if (enabled !== undefined) {
    if (enabled !== 'true' && enabled !== 'false') {
      throw vpcFail(400, 'VPC.0002', `Invalid enabled ${enabled}.`);
    }
    tests.push((r) => r.enabled === (enabled === 'true'));
  }
  return tests;
}

/** A bare IP in the filter matches the stored `/32` form (docs/cloud-api.md, "VPC: security groups and rules"). */
function normalisePrefixFilter(p: string): string {
  try {
    return normaliseCidr(p, p.includes(':') ? 'IPv6' : 'IPv4');
  } catch {
    return p;
  }
}

const showRule: Route = {
  operation: 'ShowSecurityGroupRule',
  method: 'GET',
  pattern: `${BASE}/:rid`,
  scope: 'path',
  flavor: 'snake',
  handle({ project, params, requestId }) {
    const rule = requireRule(project, params['rid'] ?? '');
    return { status: 200, body: { request_id: requestId, security_group_rule: rule } };
  },
};

const createRule: Route = {
  operation: 'CreateSecurityGroupRule',
  method: 'POST',
  pattern: BASE,
  scope: 'path',
  flavor: 'snake',
  handle(ctx) {
    const body = requireObject(ctx.body);
    const fields = normaliseRuleInput(body['security_group_rule']);
    const groupId = fields.security_group_id;
    if (!groupId) throw vpcFail(400, 'VPC.0002', 'security_group_id is required.');
    const { security_group_id: _omit, ...rule } = fields;
    const dryRun = parseDryRun(body['dry_run']);
    if (!groupById(ctx.project, groupId)) {
      throw vpcFail(404, 'VPC.9904', `security_group_id ${groupId} could not be found.`);
    }
    checkRemoteGroup(ctx.project, rule);
    checkDuplicate(ctx.project, groupId, rule);
    checkQuota(ctx.project, groupId, 1);
    if (dryRun) return dryRunReply(ctx.requestId);
    const created = insertRule(ctx, groupId, rule);
    return { status: 201, body: { request_id: ctx.requestId, security_group_rule: created } };
  },
};

/** BatchCreate: all or nothing; `ignore_duplicate` skips rules that already exist. */
const batchCreateRules: Route = {
  operation: 'BatchCreateSecurityGroupRules',
  method: 'POST',
  pattern: '/v3/:pid/vpc/security-groups/:sgid/security-group-rules/batch-create',
  scope: 'path',
  flavor: 'snake',
  handle(ctx) {
    const body = requireObject(ctx.body);
    const group = requireGroup(ctx.project, ctx.params['sgid'] ?? '');
    const list = body['security_group_rules'];
    if (!Array.isArray(list) || list.length === 0) {
      throw vpcFail(400, 'VPC.0002', 'security_group_rules must be a non-empty array.');
    }
    const ignoreDuplicate = body['ignore_duplicate'] === true;
    const dryRun = parseDryRun(body['dry_run']);
    const pending: RuleFields[] = [];
    for (const raw of list) {
      const { security_group_id: _omit, ...rule } = normaliseRuleInput(raw);
      checkRemoteGroup(ctx.project, rule);
      const twin = pending.some((p) => sameRule(p, rule));
      const existing = rulesOf(ctx.project, group.id).find((r) => sameRule(r, rule));
      if (existing || twin) {
        if (ignoreDuplicate) continue;
        throw duplicateFailure(existing?.id ?? 'in the same request');
      }
      pending.push(rule);
    }
    checkQuota(ctx.project, group.id, pending.length);
    if (dryRun) return dryRunReply(ctx.requestId);
    const created = pending.map((rule) => insertRule(ctx, group.id, rule));
    return { status: 201, body: { request_id: ctx.requestId, security_group_rules: created } };
  },
};

const deleteRule: Route = {
  operation: 'DeleteSecurityGroupRule',
  method: 'DELETE',
  pattern: `${BASE}/:rid`,
  scope: 'path',
  flavor: 'snake',
  handle({ project, params }) {
    const rule = requireRule(project, params['rid'] ?? '');
    const rules = project.securityGroupRules;
    rules.splice(rules.indexOf(rule), 1);
    invalidate(rules);
    return { status: 204 };
  },
};

export const ruleRoutes: Route[] = [listRules, showRule, createRule, batchCreateRules, deleteRule];

function requireRule(p: WorldProject, id: string): WireSecurityGroupRule {
  const rule = ruleById(p, id);
  if (!rule) throw vpcFail(404, 'VPC.9904', `Security_group_rule ${id} could not be found.`);
  return rule;
}

function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw vpcFail(400, 'VPC.0002', 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

function parseDryRun(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw vpcFail(400, 'VPC.0002', 'dry_run must be a boolean.');
  return v;
}

function checkRemoteGroup(p: WorldProject, rule: RuleFields): void {
  const id = rule.remote_group_id;
  if (id && !groupById(p, id)) {
    throw vpcFail(404, 'VPC.9904', `remote_group_id ${id} could not be found.`);
  }
}

function checkDuplicate(p: WorldProject, groupId: string, rule: RuleFields): void {
  const twin = rulesOf(p, groupId).find((r) => sameRule(r, rule));
  if (twin) throw duplicateFailure(twin.id);
}

function duplicateFailure(id: string) {
  return vpcFail(409, 'VPC.9902', `Security group rule already exists. Rule id is ${id}.`);
}

function checkQuota(p: WorldProject, groupId: string, adding: number): void {
  if (rulesOf(p, groupId).length + adding > ruleQuotaOf(p, groupId)) {
    throw vpcFail(409, 'VPC.9905', "Quota exceeded for resources: ['security_group_rule'].");
  }
}

function dryRunReply(requestId: string) {
  return {
    status: 202,
    body: { error_msg: DRY_RUN_MESSAGE, error_code: 'SYS.0202', request_id: requestId },
  };
}

function insertRule(ctx: RouteContext, groupId: string, rule: RuleFields): WireSecurityGroupRule {
  const created = makeRule(
    { id: nextUuid(ctx.world, 'rule'), projectId: ctx.project.id, groupId, at: ctx.now },
    rule,
  );
  ctx.project.securityGroupRules.push(created);
  invalidate(ctx.project.securityGroupRules);
  return created;
}
