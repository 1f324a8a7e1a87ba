//! Unit tests of `domain::properties`, with plain values.
use super::*;
use serde_json::json;

fn parse(v: Value) -> Result<Properties, PropertyError> {
    Properties::from_json(&v)
}

fn err(v: Value) -> String {
    parse(v).unwrap_err().to_string()
}

#[test]
fn minimal_properties_get_defaults() {
    let p = parse(json!({"ServiceToken": "arn:aws:lambda:us-east-1:1:function:x", "ServiceTimeout": "600", "ParentHostedZoneId": "/hostedzone/Z0PARENT", "ChildHostedZoneId": "Z0CHILD"})).unwrap();
    assert_eq!(p.parent, Some(ParentZoneRef::Id(ZoneId("Z0PARENT".into()))));
    assert_eq!(p.child_zone_id.as_str(), "Z0CHILD");
    assert_eq!(p.ttl, DEFAULT_TTL);
    assert!(p.wait_for_sync);
    assert_eq!(p.dnssec, DnssecMode::Auto);
    assert_eq!(p.on_conflict, OnConflict::Fail);
    assert!(!p.allow_occluded_records);
    assert_eq!(p.child_role, None);
    assert_eq!(p.sts_region, None);
}

#[test]
fn strings_and_native_values_are_accepted_alike() {
    let a = parse(json!({"ParentHostedZoneName": "Example.com.", "ChildHostedZoneId": "Z1", "TTL": "300", "WaitForSync": "false", "AllowOccludedRecords": "TRUE", "OnConflict": "Replace", "Dnssec": "required"})).unwrap();
    let b = parse(json!({"ParentHostedZoneName": "example.com", "ChildHostedZoneId": "Z1", "TTL": 300, "WaitForSync": false, "AllowOccludedRecords": true, "OnConflict": "replace", "Dnssec": "REQUIRED"})).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.ttl, 300);
    assert!(!a.wait_for_sync);
    assert!(a.allow_occluded_records);
    assert_eq!(a.on_conflict, OnConflict::Replace);
    assert_eq!(a.dnssec, DnssecMode::Required);
    assert_eq!(
        a.parent,
        Some(ParentZoneRef::Name(DnsName::parse("example.com").unwrap()))
    );
    let discovered = parse(json!({"ChildHostedZoneId": "Z1"})).unwrap();
    assert_eq!(
        discovered.parent, None,
        "neither parent property: discovered"
    );
}

#[test]
fn roles_and_external_ids() {
    let p = parse(json!({"ParentHostedZoneId": "Z1", "ChildHostedZoneId": "Z2", "ChildRoleArn": "arn:aws:iam::111111111111:role/path/Reader", "ChildExternalId": "abc-123", "ParentRoleArn": "arn:aws-cn:iam::222222222222:role/W"})).unwrap();
    let child = p.child_role.unwrap();
    assert_eq!(child.account, "111111111111");
    assert_eq!(child.external_id.as_deref(), Some("abc-123"));
    assert_eq!(p.parent_role.unwrap().account, "222222222222");
    assert!(
        err(
            json!({"ParentHostedZoneId": "Z1", "ChildHostedZoneId": "Z2", "ChildExternalId": "abc"})
        )
        .contains("ChildExternalId is set but ChildRoleArn is not")
    );
    for bad in [
        "arn:aws:iam::1111:role/R",
        "arn:aws:iam::111111111111:user/R",
        "arn:aws:sts::111111111111:role/R",
        "role/R",
        "arn:aws:iam::111111111111:role/",
        "arn:aws:iam:us-east-1:111111111111:role/R",
    ] {
        assert!(
            err(
                json!({"ParentHostedZoneId": "Z1", "ChildHostedZoneId": "Z2", "ChildRoleArn": bad})
            )
            .starts_with("property ChildRoleArn is"),
            "{bad}"
        );
    }
    assert!(err(json!({"ParentHostedZoneId": "Z1", "ChildHostedZoneId": "Z2", "ChildRoleArn": "arn:aws:iam::111111111111:role/R", "ChildExternalId": "x"})).contains("ChildExternalId must be 2 to 1224"));
}

#[test]
fn every_malformed_property_is_named() {
    let base = || json!({"ParentHostedZoneId": "Z1", "ChildHostedZoneId": "Z2"});
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        err(b)
    };
    assert!(with("TTL", json!("0")).contains("property TTL is 0; use 1 to 604800"));
    assert!(with("TTL", json!("604801")).contains("property TTL"));
    assert!(with("TTL", json!("-5")).contains("property TTL is -5"));
    assert!(with("TTL", json!("3.5")).contains("whole number"));
    assert!(with("TTL", json!("300s")).contains("whole number"));
    assert!(with("TTL", json!(99999999999999999999u128.to_string())).contains("property TTL"));
    assert!(with("TTL", json!([300])).contains("property TTL must be a single value"));
    assert!(
        with("WaitForSync", json!("yes"))
            .contains("property WaitForSync is \"yes\"; use true or false")
    );
    assert!(with("Dnssec", json!("on")).contains("property Dnssec"));
    assert!(with("OnConflict", json!("overwrite")).contains("property OnConflict"));
    assert!(with("ChildHostedZoneId", json!("z-lower")).contains("property ChildHostedZoneId"));
    assert!(with("ChildHostedZoneId", json!("")).contains("property ChildHostedZoneId is empty"));
    assert!(with("DelegatedName", json!("dev..example.com")).contains("property DelegatedName"));
    assert!(with("StsRegion", json!("US-EAST-1")).contains("property StsRegion"));
    assert!(
        with("ParentHostedZoneName", json!("example.com"))
            .contains("give ParentHostedZoneId or ParentHostedZoneName, not both")
    );
    assert!(err(json!({"ParentHostedZoneId": "Z1"})).contains("ChildHostedZoneId is required"));
    assert!(err(json!("text")).contains("must be a JSON object"));
    assert!(
        err(json!({"ParentHostedZoneId": "Z1", "ChildHostedZoneId": "Z2", "Ttl": "300"}))
            .contains("unknown property \"Ttl\"")
    );
}

#[test]
fn huge_values_are_not_echoed_whole() {
    let long = "x".repeat(10_000);
    let e = err(json!({"ParentHostedZoneId": "Z1", "ChildHostedZoneId": long}));
    assert!(e.len() < 400, "{}", e.len());
}
