//! CloudFormation's request sequences, sent to the packaged binary (`bootstrap invoke`) the way
//! CloudFormation sends them: fresh RequestIds, the answer PUT to a loopback receiver, the same
//! request again when Lambda retries. After every step the whole parent zone is compared with the
//! records that should be there: nothing orphaned, nothing wrongly deleted. The binary reaches
//! moto through the fault proxy (no faults here) so the tests can also see every Route 53 call.

use crate::support::rig::{Rig, ns_record};
use crate::support::*;
use aws_sdk_route53::types::ChangeAction;
use serde_json::{Value, json};

/// One stack's world ([`Rig`]): moto with `example.com` (parent account) and `dev.example.com`
/// (child account), records in the parent that belong to others (in the baseline every step must
/// leave alone), the proxy and the receiver.
async fn cfn() -> Rig {
    let mut rig = Rig::new().await;
    // Records of other owners, some sorting right next to the delegated name.
    rig.add_foreign_records(&[
        ("www.example.com", "A", "192.0.2.10"),
        ("dev-x.example.com", "TXT", "\"not ours\""),
        ("ops.example.com", "NS", "ns1.elsewhere.example.net"),
        ("xdev.example.com", "CNAME", "www.example.com"),
    ])
    .await;
    rig
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_then_delete() {
    let c = cfn().await;
    let d = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let props = c.w.props();
    let created = c.ok(&d.create(&props)).await;
    let id = created.physical_id().to_owned();
    assert_eq!(id, format!("{}/dev.example.com", c.w.parent_zone));
    let dev = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 172800).await;
    c.expect("create", std::slice::from_ref(&dev)).await;
    c.ok(&d.delete(&id, &props)).await;
    c.expect("delete", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_in_place_then_delete() {
    let c = cfn().await;
    let d = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let props = c.w.props();
    let id = c.ok(&d.create(&props)).await.physical_id().to_owned();

    let mut ttl = props.clone();
    ttl["TTL"] = json!("300");
    let updated = c.ok(&d.update(&id, &ttl, &props)).await;
    assert_eq!(updated.physical_id(), id, "same identity: same ID");
    assert_eq!(updated.summaries()[0]["action"], "updated");
    let dev300 = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 300).await;
    c.expect("TTL update", std::slice::from_ref(&dev300)).await;

    // A property that does not touch Route 53 (the ExternalId) converges without a change.
    let mut ext = ttl.clone();
    ext["ChildExternalId"] = json!("rotated-external-id");
    let updated = c.ok(&d.update(&id, &ext, &ttl)).await;
    assert_eq!(updated.physical_id(), id);
    c.expect("ExternalId update", std::slice::from_ref(&dev300))
        .await;

    c.ok(&d.delete(&id, &ext)).await;
    c.expect("delete", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_with_replacement_then_cleanup_delete_of_the_old_id() {
    let c = cfn().await;
    let d = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let props = c.w.props();
    let old_id = c.ok(&d.create(&props)).await.physical_id().to_owned();
    let dev = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 172800).await;

    // The child zone changes to another name: a new identity, a new ID.
    let test_zone = create_zone(&c.w.child, "test.example.com").await;
    let mut moved = props.clone();
    moved["ChildHostedZoneId"] = json!(test_zone);
    let replaced = c.ok(&d.update(&old_id, &moved, &props)).await;
    let new_id = replaced.physical_id().to_owned();
    assert_eq!(new_id, format!("{}/test.example.com", c.w.parent_zone));
    let test = ns_record(&c.w.child, &test_zone, "test.example.com", 172800).await;
    // Until cleanup both exist: CloudFormation deletes the old one once the stack is updated.
    c.expect("replacing update", &[dev.clone(), test.clone()])
        .await;

    // UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: a Delete of the old ID with the old properties.
    c.ok(&d.delete(&old_id, &props)).await;
    c.expect("cleanup delete", std::slice::from_ref(&test))
        .await;

    // Later the stack is deleted.
    c.ok(&d.delete(&new_id, &moved)).await;
    c.expect("stack delete", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_to_another_parent_zone_of_the_same_name_cleans_only_the_old_one() {
    let c = cfn().await;
    let d = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let props = c.w.props();
    let old_id = c.ok(&d.create(&props)).await.physical_id().to_owned();
    let dev = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 172800).await;

    let other_parent = create_zone(&c.w.parent, "example.com").await;
    let mut moved = props.clone();
    moved["ParentHostedZoneId"] = json!(other_parent);
    let new_id = c
        .ok(&d.update(&old_id, &moved, &props))
        .await
        .physical_id()
        .to_owned();
    assert_eq!(new_id, format!("{other_parent}/dev.example.com"));
    c.expect("move, old zone", std::slice::from_ref(&dev)).await;
    let in_other = || async { delegations(&c.w.parent, &other_parent, "example.com").await };
    assert_eq!(in_other().await, vec![dev.clone()]);

    c.ok(&d.delete(&old_id, &props)).await;
    c.expect("cleanup delete, old zone", &[]).await;
    assert_eq!(
        in_other().await,
        vec![dev.clone()],
        "the new zone keeps its record"
    );

    c.ok(&d.delete(&new_id, &moved)).await;
    assert!(in_other().await.is_empty());
    c.expect("stack delete", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_that_fails_then_the_rollback_update() {
    let c = cfn().await;
    let d = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let props = c.w.props();
    let id = c.ok(&d.create(&props)).await.physical_id().to_owned();
    let dev = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 172800).await;
    let writes = c.writes().await.len();

    // A bad property: FAILED with the existing ID, nothing written.
    let mut bad = props.clone();
    bad["TTL"] = json!("0");
    let failed = c.failed(&d.update(&id, &bad, &props), "TTL").await;
    assert_eq!(failed.physical_id(), id);
    assert_eq!(
        c.writes().await.len(),
        writes,
        "a refused update writes nothing"
    );
    c.expect("failed update", std::slice::from_ref(&dev)).await;

    // UPDATE_ROLLBACK_IN_PROGRESS: an Update back to the old properties, the bad ones as old.
    let rolled = c.ok(&d.update(&id, &props, &bad)).await;
    assert_eq!(rolled.physical_id(), id);
    c.expect("rollback update", std::slice::from_ref(&dev))
        .await;

    // A replacing update that conflicts with someone else's delegation fails; the rollback
    // leaves both our record and theirs.
    let test_zone = create_zone(&c.w.child, "test.example.com").await;
    change_record(
        &c.w.parent,
        &c.w.parent_zone,
        ChangeAction::Create,
        "test.example.com",
        "NS",
        3600,
        &["ns1.someone-else.example.net"],
    )
    .await;
    let theirs: Rec = (
        "test.example.com.".into(),
        "NS".into(),
        3600,
        vec!["ns1.someone-else.example.net".into()],
    );
    let mut moved = props.clone();
    moved["ChildHostedZoneId"] = json!(test_zone);
    let failed = c
        .failed(&d.update(&id, &moved, &props), "test.example.com")
        .await;
    assert_eq!(failed.physical_id(), id);
    c.expect("conflicting update", &[dev.clone(), theirs.clone()])
        .await;
    c.ok(&d.update(&id, &props, &moved)).await;
    c.expect("rollback update", &[dev.clone(), theirs.clone()])
        .await;

    c.ok(&d.delete(&id, &props)).await;
    c.expect("stack delete", std::slice::from_ref(&theirs))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacing_update_that_wrote_then_failed_leaves_no_orphan() {
    // The new identity's record is written, then Route 53 never reports INSYNC and the guard
    // answers FAILED with the new ID, so that CloudFormation's rollback (an Update back to the
    // old properties, then a cleanup Delete of the ID the failure claimed) leaves no record of
    // the failed update behind.
    let c = cfn().await;
    let d = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let props = c.w.props();
    let id = c.ok(&d.create(&props)).await.physical_id().to_owned();
    let dev = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 172800).await;
    let test_zone = create_zone(&c.w.child, "test.example.com").await;
    let mut moved = props.clone();
    moved["ChildHostedZoneId"] = json!(test_zone);
    c.proxy
        .rules(json!([
            {"operation": "ChangeResourceRecordSets", "fault": "pending", "count": 1},
            {"operation": "GetChange", "fault": "pending"},
        ]))
        .await;
    let failed = c.invoke(&d.update(&id, &moved, &props), Some(22)).await;
    assert_eq!(failed.status(), "FAILED", "{}", failed.answer);
    c.proxy.reset().await;
    let claimed = failed.physical_id().to_owned();
    assert_eq!(
        claimed,
        format!("{}/test.example.com", c.w.parent_zone),
        "a failed replacing Update that wrote must answer the new ID: {}",
        failed.answer
    );
    // UPDATE_ROLLBACK_IN_PROGRESS: back to the old properties, on the ID CloudFormation holds.
    let rolled = c.ok(&d.update(&claimed, &props, &moved)).await;
    assert_eq!(rolled.physical_id(), id);
    // UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: the ID the failure claimed is deleted.
    c.ok(&d.delete(&claimed, &moved)).await;
    c.expect(
        "rollback after a failed replacing update",
        std::slice::from_ref(&dev),
    )
    .await;
    c.ok(&d.delete(&id, &props)).await;
    c.expect("stack delete", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_fails_then_the_rollback_delete() {
    let c = cfn().await;
    let d = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let mut props = c.w.props();
    props["DelegatedName"] = json!("prod.example.com");
    let event = d.create(&props);
    let failed = c.failed(&event, "DelegatedName").await;
    let marker = failed.physical_id().to_owned();
    assert_eq!(
        marker,
        format!("failed-create:{}", event["RequestId"].as_str().unwrap())
    );
    c.ok(&d.delete(&marker, &props)).await;
    assert_eq!(c.writes().await.len(), 0);
    c.expect("rollback delete", &[]).await;

    // A Create refused because someone else delegates the name already: their record survives
    // the rollback Delete.
    change_record(
        &c.w.parent,
        &c.w.parent_zone,
        ChangeAction::Create,
        "dev.example.com",
        "NS",
        3600,
        &["ns1.someone-else.example.net"],
    )
    .await;
    let theirs: Rec = (
        "dev.example.com.".into(),
        "NS".into(),
        3600,
        vec!["ns1.someone-else.example.net".into()],
    );
    let props = c.w.props();
    let failed = c.failed(&d.create(&props), "OnConflict").await;
    c.ok(&d.delete(failed.physical_id(), &props)).await;
    c.expect(
        "rollback delete after a conflict",
        std::slice::from_ref(&theirs),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_deleted_while_the_child_zone_is_already_gone() {
    let c = cfn().await;
    let d = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let props = c.w.props();
    let id = c.ok(&d.create(&props)).await.physical_id().to_owned();
    c.w.child
        .delete_hosted_zone()
        .id(&c.w.child_zone)
        .send()
        .await
        .unwrap();
    c.ok(&d.delete(&id, &props)).await;
    c.expect("delete without the child zone", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_with_an_id_cloudformation_made_up_after_a_cancelled_create() {
    let c = cfn().await;
    // Another stack owns dev.example.com: the made-up ID must not lead anywhere near it.
    let owner = c.driver_for(CHILD_ACCOUNT, "owner", "Delegation");
    let props = c.w.props();
    c.ok(&owner.create(&props)).await;
    let dev = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 172800).await;
    let writes = c.writes().await.len();

    let d = c.driver_for(CHILD_ACCOUNT, "cancelled", "Delegation");
    for made_up in [
        "cancelled-Delegation-1XK2Q7J3ABCDE",
        "Delegation",
        "ZZZZ/not a name",
        "dev.example.com",
        "/dev.example.com",
    ] {
        let run = c.ok(&d.delete(made_up, &props)).await;
        assert_eq!(run.physical_id(), made_up);
    }
    assert_eq!(
        c.writes().await.len(),
        writes,
        "no Route 53 change for a made-up ID"
    );
    c.expect("deletes of made-up IDs", std::slice::from_ref(&dev))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_request_delivered_twice() {
    let c = cfn().await;
    let d = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let props = c.w.props();
    let create = d.create(&props);
    let first = c.ok(&create).await;
    let writes = c.writes().await.len();
    let second = c.ok(&create).await;
    assert_eq!(first.physical_id(), second.physical_id());
    // The same answer, but the second wrote nothing (its record was already as desired), so it
    // has no change ID.
    let mut data = second.answer["Data"].clone();
    assert_eq!(data["ChangeId"].take(), "");
    data["ChangeId"] = first.answer["Data"]["ChangeId"].clone();
    assert_eq!(first.answer["Data"], data);
    assert_eq!(c.writes().await.len(), writes, "no second write");
    let id = first.physical_id().to_owned();
    let dev = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 172800).await;
    c.expect("create twice", std::slice::from_ref(&dev)).await;

    let mut ttl = props.clone();
    ttl["TTL"] = json!(600);
    let update = d.update(&id, &ttl, &props);
    assert_eq!(c.ok(&update).await.physical_id(), id);
    let writes = c.writes().await.len();
    let again = c.ok(&update).await;
    assert_eq!(again.physical_id(), id);
    assert_eq!(again.summaries()[0]["action"], "unchanged");
    assert_eq!(c.writes().await.len(), writes, "no second write");
    let dev600 = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 600).await;
    c.expect("update twice", std::slice::from_ref(&dev600))
        .await;

    let delete = d.delete(&id, &ttl);
    c.ok(&delete).await;
    let again = c.ok(&delete).await;
    assert_eq!(again.summaries()[0]["action"], "already-absent");
    c.expect("delete twice", &[]).await;

    // A late duplicate of a failed Create stays failed and writes nothing.
    let mut bad = props.clone();
    bad["TTL"] = json!("-5");
    let create = d.create(&bad);
    let a = c.failed(&create, "TTL").await;
    let b = c.failed(&create, "TTL").await;
    assert_eq!(a.physical_id(), b.physical_id());
    c.expect("failed create twice", &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stacks_delegate_different_names_into_one_parent_at_the_same_time() {
    let c = cfn().await;
    // The second stack lives in a third account with its own child zone.
    let other = c.w.moto.route53(OTHER_ACCOUNT).await;
    let qa_zone = create_zone(&other, "qa.example.com").await;
    let dev_props = c.w.props();
    let qa_props = json!({
        "ParentHostedZoneId": c.w.parent_zone,
        "ChildHostedZoneId": qa_zone,
        "ChildRoleArn": role_arn(OTHER_ACCOUNT),
        "TTL": "3600",
    });
    let dev_stack = c.driver_for(CHILD_ACCOUNT, "dev-dns", "Delegation");
    let qa_stack = c.driver_for(OTHER_ACCOUNT, "qa-dns", "Delegation");

    let both = |a: Value, b: Value| {
        let x = invoke_packaged(&a, &c.env, Some(120));
        let y = invoke_packaged(&b, &c.env, Some(120));
        async move {
            let (x, y) = tokio::join!(tokio::spawn(x), tokio::spawn(y));
            (x.unwrap(), y.unwrap())
        }
    };
    let (dev, qa) = both(dev_stack.create(&dev_props), qa_stack.create(&qa_props)).await;
    for run in [&dev, &qa] {
        run.assert_clean("concurrent create");
        assert_eq!(run.status(), "SUCCESS", "{}", run.logs);
    }
    let dev_rec = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 172800).await;
    let qa_rec = ns_record(&other, &qa_zone, "qa.example.com", 3600).await;
    c.expect("two creates at once", &[dev_rec.clone(), qa_rec.clone()])
        .await;

    // One updates while the other deletes.
    let mut dev_ttl = dev_props.clone();
    dev_ttl["TTL"] = json!("900");
    let (upd, del) = both(
        dev_stack.update(dev.physical_id(), &dev_ttl, &dev_props),
        qa_stack.delete(qa.physical_id(), &qa_props),
    )
    .await;
    assert_eq!((upd.status(), del.status()), ("SUCCESS", "SUCCESS"));
    let dev900 = ns_record(&c.w.child, &c.w.child_zone, "dev.example.com", 900).await;
    c.expect("update and delete at once", std::slice::from_ref(&dev900))
        .await;

    let last = c.ok(&dev_stack.delete(dev.physical_id(), &dev_ttl)).await;
    assert_eq!(last.status(), "SUCCESS");
    c.expect("both deleted", &[]).await;
    assert_eq!(c.receiver.puts().len(), 5);
}
