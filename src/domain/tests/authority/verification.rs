//! Unit tests of `domain::authority::verification`, with plain values.
use super::*;

const T: &str = "Custom::SubdomainDelegation";
const A: &str = "222222222222";

#[test]
fn stack_ids_give_account_and_region() {
    let s = StackRef::parse("arn:aws:cloudformation:eu-west-1:222222222222:stack/dev-dns/5b0c1d2e-0000-4000-a000-000000000000").unwrap();
    assert_eq!(
        (s.account.as_str(), s.region.as_str(), s.name.as_str()),
        (A, "eu-west-1", "dev-dns")
    );
    assert_eq!(
        StackRef::parse("arn:aws-cn:cloudformation:cn-north-1:222222222222:stack/StackSet-x-1/u")
            .unwrap()
            .partition,
        "aws-cn"
    );
    for bad in [
        "",
        "dev-dns",
        "arn:aws:cloudformation:eu-west-1:2222:stack/dev/u",
        "arn:aws:lambda:eu-west-1:222222222222:stack/dev/u",
        "arn:aws:cloudformation:eu-west-1:222222222222:stackset/dev/u",
        "arn:aws:cloudformation::222222222222:stack/dev/u",
        "arn:aws:cloudformation:eu-west-1:222222222222:stack/dev",
        "arn:aws:cloudformation:eu-west-1:222222222222:stack/de v/u",
    ] {
        assert_eq!(StackRef::parse(bad), None, "{bad}");
    }
}

fn state(status: &str, id: Option<&str>) -> ResourceState {
    ResourceState {
        resource_status: ResourceStatus::parse(status),
        physical_id: id.map(str::to_owned),
        resource_type: T.into(),
    }
}

#[test]
fn resources_in_the_claimed_state_verify_the_request() {
    use RequestKind::{Create, Delete, Update};
    let cases = [
        (Create, None, "CREATE_IN_PROGRESS", None, true),
        (Create, None, "CREATE_COMPLETE", Some("Z/x"), false),
        (Update, Some("Z/x"), "UPDATE_IN_PROGRESS", Some("Z/x"), true),
        (
            Update,
            Some("Z/y"),
            "UPDATE_IN_PROGRESS",
            Some("Z/x"),
            false,
        ),
        (Update, Some("Z/x"), "UPDATE_COMPLETE", Some("Z/x"), false),
        (Delete, Some("Z/x"), "DELETE_IN_PROGRESS", Some("Z/x"), true),
        (Delete, Some("Z/x"), "CREATE_COMPLETE", Some("Z/x"), false),
    ];
    for (kind, id, status, current, verified) in cases {
        let verdict = verify_resource(kind, T, "D", id, &state(status, current));
        if verified {
            assert_eq!(verdict, StackVerdict::Verified, "{kind:?} {status}");
        } else {
            assert!(
                matches!(verdict, StackVerdict::Refused(_)),
                "{kind:?} {status}: {verdict:?}"
            );
        }
    }
}

#[test]
fn a_replaced_id_is_verified_only_during_cleanup() {
    assert_eq!(
        verify_resource(
            RequestKind::Delete,
            T,
            "D",
            Some("Z/old"),
            &state("UPDATE_COMPLETE", Some("Z/new"))
        ),
        StackVerdict::NeedsCleanupEvidence
    );
    for cleanup in [
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    ] {
        let status = StackStatus::parse(cleanup);
        assert_eq!(verify_cleanup("D", &status, true), StackVerdict::Verified);
        // A cleanup in progress is not enough: the ID must have been that resource's.
        assert!(matches!(
            verify_cleanup("D", &status, false),
            StackVerdict::Refused(_)
        ));
    }
    assert!(matches!(
        verify_cleanup("D", &StackStatus::parse("UPDATE_COMPLETE"), true),
        StackVerdict::Refused(_)
    ));
}

#[test]
fn refusals_say_what_cloudformation_shows() {
    let StackVerdict::Refused(why) = verify_resource(
        RequestKind::Create,
        T,
        "Delegation",
        None,
        &state("CREATE_COMPLETE", Some("Z/x")),
    ) else {
        panic!()
    };
    assert!(
        why.contains(
            "Delegation is CREATE_COMPLETE with PhysicalResourceId Z/x, not CREATE_IN_PROGRESS"
        ),
        "{why}"
    );
}

#[test]
fn only_the_resources_own_custom_type_is_verified() {
    let state = |rtype: &str| ResourceState {
        resource_status: ResourceStatus::CreateInProgress,
        physical_id: None,
        resource_type: rtype.into(),
    };
    // A borrowed resource of another kind (a bucket, a wait condition) in progress.
    for (request_type, resource_type) in [
        (T, "AWS::S3::Bucket"),
        (T, "AWS::CloudFormation::WaitCondition"),
        ("AWS::S3::Bucket", "AWS::S3::Bucket"),
        ("Custom::", "Custom::"),
        (T, "Custom::Other"),
    ] {
        let StackVerdict::Refused(why) = verify_resource(
            RequestKind::Create,
            request_type,
            "D",
            None,
            &state(resource_type),
        ) else {
            panic!("{request_type} / {resource_type} must be refused")
        };
        assert!(why.contains("not the custom resource type"), "{why}");
    }
    for rtype in [T, GENERIC_CUSTOM_RESOURCE_TYPE, "Custom::X"] {
        assert_eq!(
            verify_resource(RequestKind::Create, rtype, "D", None, &state(rtype)),
            StackVerdict::Verified
        );
    }
}

const STACK: &str = "arn:aws:cloudformation:us-east-1:111111111111:stack/dns/1";

fn event(logical: &str, rtype: &str, id: Option<&str>, status: &str) -> StackEvent {
    StackEvent {
        logical_id: logical.into(),
        physical_id: id.map(str::to_owned),
        resource_type: Some(rtype.into()),
        status: ResourceStatus::parse(status),
    }
}

/// The stack's own event, marking an operation.
fn stack_event(status: &str) -> StackEvent {
    event("dns", STACK_RESOURCE_TYPE, Some(STACK), status)
}

#[test]
fn a_replaced_id_must_appear_on_that_resource_in_the_current_operation() {
    let d = |id: Option<&str>, status: &str| event("D", T, id, status);
    // Newest first: the current update replaced Z/old by Z/new; Z/ancient was replaced (and
    // cleaned up) by an earlier update.
    let stream = vec![
        stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        d(Some("Z/new"), "UPDATE_COMPLETE"),
        event("Other", T, Some("Z/other"), "UPDATE_COMPLETE"),
        d(Some("Z/old"), "UPDATE_IN_PROGRESS"),
        stack_event("UPDATE_IN_PROGRESS"),
        stack_event("UPDATE_COMPLETE"),
        stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        d(Some("Z/old"), "UPDATE_COMPLETE"),
        d(Some("Z/ancient"), "UPDATE_IN_PROGRESS"),
        stack_event("UPDATE_IN_PROGRESS"),
        d(Some("Z/ancient"), "CREATE_COMPLETE"),
        d(None, "CREATE_IN_PROGRESS"),
        stack_event("CREATE_IN_PROGRESS"),
    ];
    let scan = |events: &[StackEvent], id: &str| scan_events(events, STACK, "D", id, T);
    assert_eq!(scan(&stream, "Z/old"), EventScan::Found);
    // An ID of an earlier operation is refused, however clearly it shows further back.
    assert_eq!(scan(&stream, "Z/ancient"), EventScan::Absent);
    assert_eq!(scan(&stream, "Z/victim"), EventScan::Absent);
    // The same ID on another logical resource, or with another type, does not count.
    assert_eq!(scan(&stream, "Z/other"), EventScan::Absent);
    assert_eq!(
        scan_events(&stream, STACK, "D", "Z/old", "Custom::Other"),
        EventScan::Absent
    );
    // A page that ends before the operation's start: read on.
    assert_eq!(scan(&stream[..3], "Z/old"), EventScan::ReadOn);
    assert_eq!(scan(&[], "Z/old"), EventScan::ReadOn);
    // A nested stack's events (type Stack, another physical ID) mark no operation of this stack.
    let nested = vec![
        stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"),
        event(
            "Nested",
            STACK_RESOURCE_TYPE,
            Some("arn:nested"),
            "UPDATE_IN_PROGRESS",
        ),
        d(Some("Z/old"), "UPDATE_IN_PROGRESS"),
        stack_event("UPDATE_IN_PROGRESS"),
    ];
    assert_eq!(scan(&nested, "Z/old"), EventScan::Found);
}

#[test]
fn after_a_rolled_back_update_the_cleanup_deletes_the_new_id_of_that_operation() {
    let d = |id: Option<&str>, status: &str| event("D", T, id, status);
    let stream = vec![
        stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"),
        d(Some("Z/old"), "UPDATE_COMPLETE"),
        d(Some("Z/old"), "UPDATE_IN_PROGRESS"),
        stack_event("UPDATE_ROLLBACK_IN_PROGRESS"),
        event("Broken", "AWS::S3::Bucket", None, "CREATE_FAILED"),
        d(Some("Z/new"), "UPDATE_COMPLETE"),
        d(Some("Z/old"), "UPDATE_IN_PROGRESS"),
        stack_event("UPDATE_IN_PROGRESS"),
        d(Some("Z/older"), "UPDATE_COMPLETE"),
    ];
    assert_eq!(
        scan_events(&stream, STACK, "D", "Z/new", T),
        EventScan::Found
    );
    assert_eq!(
        scan_events(&stream, STACK, "D", "Z/older", T),
        EventScan::Absent
    );
}
