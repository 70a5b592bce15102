//! What the audit log keeps of each kind of record: an explicit view, field by field,
//! written here once. The rows' own shapes follow the columns; these do not, so that
//! renaming a column never changes what `/api/v1/audit` serves for old or new entries.

use crate::db::api_keys::ApiKey;
use crate::db::applications::Application;
use crate::db::audit::Audited;
use crate::db::certificates::{Certificate, TierChange};
use crate::db::enterprises::Enterprise;
use crate::db::indicators::YearFigures;
use crate::db::obligations::Item;
use crate::db::regions::Region;
use crate::db::service_requests::ServiceRequest;
use crate::db::targets::Target;
use crate::db::users::UserRecord;
use crate::db::visits::Visit;
use serde_json::{Value, json};

impl Audited for Enterprise {
    fn audited(&self) -> Value {
        let f = &self.fields;
        json!({
            "id": self.id, "uscc": f.uscc, "name": f.name, "street_id": f.street_id, "park_id": f.park_id,
            "cluster": f.cluster, "established_on": f.established_on, "address": f.address,
            "contact_name": f.contact_name, "contact_phone": f.contact_phone, "employees": f.employees,
            "tags": f.tags, "tier": self.tier, "version": self.version, "created_at": self.created_at,
            "updated_at": self.updated_at, "archived_at": self.archived_at, "last_visited_at": self.last_visited_at,
        })
    }
}

impl Audited for Certificate {
    fn audited(&self) -> Value {
        json!({
            "id": self.id, "enterprise_id": self.enterprise_id, "tier": self.tier,
            "certificate_no": self.certificate_no, "effective_on": self.effective_on, "valid_until": self.valid_until,
            "batch": self.batch, "source": self.source, "ended_on": self.ended_on, "end_reason": self.end_reason,
            "created_at": self.created_at,
        })
    }
}

impl Audited for TierChange {
    fn audited(&self) -> Value {
        json!({
            "id": self.id, "enterprise_id": self.enterprise_id, "kind": self.kind, "from_tier": self.from_tier,
            "to_tier": self.to_tier, "effective_on": self.effective_on, "certificate_id": self.certificate_id,
            "reason": self.reason, "note": self.note, "source": self.source, "actor_kind": self.actor_kind,
            "actor_id": self.actor_id, "rule_set": self.rule_set, "application_id": self.application_id,
            "recorded_at": self.recorded_at,
        })
    }
}

impl Audited for Region {
    fn audited(&self) -> Value {
        json!({
            "id": self.id, "kind": self.kind, "code": self.code, "name": self.name, "parent_id": self.parent_id,
            "created_at": self.created_at,
        })
    }
}

impl Audited for ApiKey {
    fn audited(&self) -> Value {
        // Never the key's hash: only what identifies it.
        json!({
            "id": self.id, "name": self.name, "prefix": self.prefix, "scopes": self.scopes,
            "created_by": self.created_by, "created_at": self.created_at, "last_used_at": self.last_used_at,
            "revoked_at": self.revoked_at,
        })
    }
}

impl Audited for Target {
    fn audited(&self) -> Value {
        json!({
            "year": self.year, "region_id": self.region_id, "tier": self.tier, "target": self.target,
            "set_by": self.set_by, "set_at": self.set_at,
        })
    }
}

impl Audited for YearFigures {
    fn audited(&self) -> Value {
        json!({
            "enterprise_id": self.enterprise_id, "year": self.year, "figures": self.figures,
            "version": self.version, "updated_at": self.updated_at,
        })
    }
}

impl Audited for UserRecord {
    fn audited(&self) -> Value {
        // Never the password's hash.
        let u = &self.user;
        json!({
            "id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "active": u.active, "created_at": u.created_at, "updated_at": u.updated_at,
            "street_ids": self.street_ids,
        })
    }
}

impl Audited for ServiceRequest {
    fn audited(&self) -> Value {
        json!({
            "id": self.id, "enterprise_id": self.enterprise_id, "street_id": self.street_id,
            "visit_id": self.visit_id, "category": self.category, "priority": self.priority, "title": self.title,
            "description": self.description, "status": self.status, "assignee_id": self.assignee_id,
            "raised_by": self.raised_by, "due_at": self.due_at, "resolved_at": self.resolved_at,
            "closed_at": self.closed_at, "satisfaction": self.satisfaction, "version": self.version,
            "created_at": self.created_at, "updated_at": self.updated_at,
            "acknowledge_due_at": self.acknowledge_due_at, "acknowledged_at": self.acknowledged_at,
            "contact_due_at": self.contact_due_at, "contacted_at": self.contacted_at,
            "callback_due_at": self.callback_due_at, "called_back_at": self.called_back_at,
            "callback_channel": self.callback_channel, "stage": self.stage, "stage_due_at": self.stage_due_at,
            "urged_at": self.urged_at, "supervised_at": self.supervised_at, "extension_days": self.extension_days,
            "extensions": self.extensions, "callbacks": self.callbacks, "reopened": self.reopened,
            "transferred_street_id": self.transferred_street_id, "department": self.department,
            "source": self.source, "external_no": self.external_no,
        })
    }
}

impl Audited for Application {
    fn audited(&self) -> Value {
        json!({
            "id": self.id, "enterprise_id": self.enterprise_id, "street_id": self.street_id, "tier": self.tier,
            "batch_year": self.batch_year, "kind": self.kind, "status": self.status, "created_by": self.created_by,
            "outcome_note": self.outcome_note, "decided_at": self.decided_at, "version": self.version,
            "created_at": self.created_at, "updated_at": self.updated_at,
        })
    }
}

impl Audited for Visit {
    fn audited(&self) -> Value {
        let r = &self.record;
        json!({
            "id": self.id, "enterprise_id": self.enterprise_id, "street_id": self.street_id,
            "counselor_id": self.counselor_id, "visited_at": r.visited_at, "channel": r.channel,
            "purposes": r.purposes, "participants": r.participants, "summary": r.summary, "findings": r.findings,
            "next_steps": r.next_steps, "follow_up_on": r.follow_up_on, "latitude": r.latitude,
            "longitude": r.longitude, "version": self.version, "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

impl Audited for Item {
    fn audited(&self) -> Value {
        json!({
            "enterprise_id": self.enterprise_id,
            "code": self.code,
            "period": self.period,
            "due_on": self.due_on,
            "done_at": self.done_at,
            "done_by": self.done_by,
            "evidence": self.evidence,
        })
    }
}
