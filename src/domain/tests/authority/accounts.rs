//! Unit tests of `domain::authority::accounts`, with plain values.
use super::*;
use crate::domain::authority::policy::tests::policy;

fn n(s: &str) -> DnsName {
    DnsName::parse(s).unwrap()
}
const OWN: &str = "111111111111";
const A: &str = "222222222222";
const B: &str = "333333333333";

#[test]
fn own_account_may_delegate_anything() {
    assert_eq!(
        check_name(None, OWN, OWN, &n("anything.example.com")),
        Ok(())
    );
    assert_eq!(check_child_role(OWN, OWN, None), Ok(()));
}

#[test]
fn other_accounts_get_only_their_allotment() {
    let p = policy();
    assert_eq!(check_name(Some(&p), OWN, A, &n("dev.example.com")), Ok(()));
    assert_eq!(
        check_name(Some(&p), OWN, A, &n("222222222222.accounts.example.com")),
        Ok(())
    );
    assert_eq!(
        check_name(
            Some(&p),
            OWN,
            A,
            &n("api.222222222222.accounts.example.com")
        ),
        Ok(())
    );
    assert_eq!(
        check_name(
            Some(&p),
            OWN,
            A,
            &n("a.b.222222222222.accounts.example.com")
        ),
        Ok(())
    );
    // B's allotment, and names outside any pattern.
    let e = check_name(Some(&p), OWN, B, &n("dev.example.com")).unwrap_err();
    assert!(
        e.to_string()
            .contains("account 333333333333 may not delegate dev.example.com"),
        "{e}"
    );
    assert!(
        e.to_string().contains("333333333333.accounts.example.com"),
        "{e}"
    );
    assert!(check_name(Some(&p), OWN, A, &n("333333333333.accounts.example.com")).is_err());
    assert!(check_name(Some(&p), OWN, A, &n("x222222222222.accounts.example.com")).is_err());
    assert!(check_name(Some(&p), OWN, A, &n("accounts.example.com")).is_err());
    assert!(check_name(Some(&p), OWN, A, &n("example.com")).is_err());
    let e = check_name(None, OWN, A, &n("dev.example.com")).unwrap_err();
    assert!(
        e.to_string().contains("DELEGATION_POLICY is not set"),
        "{e}"
    );
}

#[test]
fn the_child_zone_must_be_in_the_requesting_account() {
    let role = |account: &str| RoleSpec {
        arn: format!("arn:aws:iam::{account}:role/Reader"),
        account: account.into(),
        external_id: None,
    };
    assert_eq!(check_child_role(OWN, A, Some(&role(A))), Ok(()));
    let e = check_child_role(OWN, A, Some(&role(B)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ChildRoleArn is in account 333333333333"), "{e}");
    assert!(
        check_child_role(OWN, A, None)
            .unwrap_err()
            .to_string()
            .contains("ChildRoleArn is not set")
    );
}

#[test]
fn a_name_allotted_to_an_account_goes_to_that_accounts_zones_only() {
    let p = policy();
    // dev.example.com is A's: a DNS-account zone may not take it, whichever stack asks …
    let e = check_name(Some(&p), OWN, OWN, &n("dev.example.com")).unwrap_err();
    assert!(
        e.to_string()
            .contains("allots that name to account 222222222222"),
        "{e}"
    );
    // … nor a name the `{account}` rule allots to an account named in it.
    let e = check_name(
        Some(&p),
        OWN,
        OWN,
        &n("x.333333333333.accounts.example.com"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("account 333333333333"), "{e}");
    // Names allotted to nobody stay free for DNS-account zones.
    assert_eq!(
        check_name(Some(&p), OWN, OWN, &n("ops.example.com")),
        Ok(())
    );
    assert_eq!(
        check_name(Some(&p), OWN, OWN, &n("x22222222222.accounts.example.com")),
        Ok(())
    );
    // A name allotted to the provider's own account is its own.
    let own = Policy::parse(
        r#"{"allow":[{"accounts":["*"],"names":["{account}.accounts.example.com"]}]}"#,
    )
    .unwrap();
    assert_eq!(
        check_name(
            Some(&own),
            OWN,
            OWN,
            &n("111111111111.accounts.example.com")
        ),
        Ok(())
    );
    // A rule for every account without `{account}` allots the name to every account.
    let shared =
        Policy::parse(r#"{"allow":[{"accounts":["*"],"names":["*.sandbox.example.com"]}]}"#)
            .unwrap();
    assert!(shared.allottees(&n("a.sandbox.example.com")).everyone);
    assert_eq!(
        check_name(Some(&shared), OWN, OWN, &n("a.sandbox.example.com")),
        Ok(())
    );
    assert_eq!(
        check_name(Some(&shared), OWN, B, &n("a.sandbox.example.com")),
        Ok(())
    );
    let who = p.allottees(&n("api.222222222222.accounts.example.com"));
    assert!(!who.everyone);
    assert_eq!(who.accounts.into_iter().collect::<Vec<_>>(), [A]);
    assert!(p.allottees(&n("ops.example.com")).is_nobody());
}

#[test]
fn the_zones_account_needs_the_allotment_whichever_stack_asks() {
    let p = policy();
    let role = |account: &str| RoleSpec {
        arn: format!("arn:aws:iam::{account}:role/Reader"),
        account: account.into(),
        external_id: None,
    };
    // A stack of the provider's account may name another account's reader role …
    assert_eq!(check_child_role(OWN, OWN, Some(&role(B))), Ok(()));
    // … but only for names allotted to that account.
    let b_role = role(B);
    let zone = zone_account(OWN, Some(&b_role));
    assert_eq!(zone, B);
    assert!(check_name(Some(&p), OWN, zone, &n("dev.example.com")).is_err());
    assert_eq!(
        check_name(Some(&p), OWN, zone, &n("333333333333.accounts.example.com")),
        Ok(())
    );
    // Zones in the provider's own account need no allotment.
    assert_eq!(zone_account(OWN, None), OWN);
    assert_eq!(
        check_name(None, OWN, zone_account(OWN, None), &n("x.example.com")),
        Ok(())
    );
}

#[test]
fn parent_roles_come_from_the_configuration() {
    let role = RoleSpec {
        arn: "arn:aws:iam::444444444444:role/subdomain-delegation-reader-x".into(),
        account: "444444444444".into(),
        external_id: None,
    };
    assert_eq!(check_parent_role(&[], None), Ok(()));
    let e = check_parent_role(&[], Some(&role)).unwrap_err().to_string();
    assert!(e.contains("DELEGATION_PARENT_ROLE_ARNS: none"), "{e}");
    assert_eq!(
        check_parent_role(std::slice::from_ref(&role.arn), Some(&role)),
        Ok(())
    );
    assert!(
        check_parent_role(
            &["arn:aws:iam::444444444444:role/Other".into()],
            Some(&role)
        )
        .is_err()
    );
}
