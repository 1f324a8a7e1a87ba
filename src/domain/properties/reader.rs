//! Reading each property from the JSON object (docs/design.md, "Properties"): strings, native
//! numbers and booleans alike; zone IDs, names, keywords and roles checked as they are read.

use super::role::{RoleSpec, role_arn_account};
use super::{PropertyError, ZoneId, invalid, show};
use crate::domain::name::{DnsName, NameError};
use serde_json::{Map, Value};

pub(super) struct Reader<'a>(pub(super) &'a Map<String, Value>);

impl<'a> Reader<'a> {
    /// A scalar as a string: strings as they are, numbers and booleans as JSON writes them.
    fn scalar(&self, name: &'static str) -> Result<Option<String>, PropertyError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(Value::Array(_)) => Err(invalid(name, "must be a single value, not a list")),
            Some(Value::Object(_)) => Err(invalid(name, "must be a single value, not an object")),
        }
    }

    pub(super) fn string(&self, name: &'static str) -> Result<Option<String>, PropertyError> {
        match self.scalar(name)? {
            Some(s) if s.is_empty() => Err(invalid(name, "is empty; remove it or give a value")),
            other => Ok(other),
        }
    }

    pub(super) fn boolean(&self, name: &'static str, default: bool) -> Result<bool, PropertyError> {
        match self.scalar(name)? {
            None => Ok(default),
            Some(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Some(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            Some(s) => Err(invalid(name, format!("is {}; use true or false", show(&s)))),
        }
    }

    pub(super) fn zone_id(&self, name: &'static str) -> Result<Option<ZoneId>, PropertyError> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => ZoneId::parse(&s).map(Some).ok_or_else(|| {
                invalid(
                    name,
                    format!(
                        "is {}; a hosted zone ID is upper-case letters and digits such as Z0123456789ABCDEFGHIJ, optionally prefixed with /hostedzone/",
                        show(&s)
                    ),
                )
            }),
        }
    }

    pub(super) fn name(&self, name: &'static str) -> Result<Option<DnsName>, PropertyError> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => DnsName::parse(&s)
                .map(Some)
                .map_err(|e: NameError| invalid(name, format!("{} {e}", show(&s)))),
        }
    }

    /// A keyword property, compared case-insensitively.
    pub(super) fn keyword(&self, key: &'static str) -> Result<Option<String>, PropertyError> {
        Ok(self.string(key)?.map(|s| s.to_ascii_lowercase()))
    }

    pub(super) fn role(
        &self,
        arn_name: &'static str,
        external_id_name: &'static str,
    ) -> Result<Option<RoleSpec>, PropertyError> {
        let arn = self.string(arn_name)?;
        let external_id = self.string(external_id_name)?;
        if let Some(id) = &external_id {
            let ok = (2..=1224).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
            if !ok {
                return Err(invalid(
                    external_id_name,
                    "must be 2 to 1224 characters of letters, digits and +=,.@:/-_",
                ));
            }
        }
        match arn {
            None if external_id.is_some() => Err(invalid(
                external_id_name,
                format!("is set but {arn_name} is not; give the role the ExternalId is for"),
            )),
            None => Ok(None),
            Some(arn) => {
                let account = role_arn_account(&arn).ok_or_else(|| {
                    invalid(
                        arn_name,
                        format!(
                            "is {}; expected an IAM role ARN such as arn:aws:iam::111111111111:role/Name",
                            show(&arn)
                        ),
                    )
                })?;
                Ok(Some(RoleSpec {
                    account,
                    arn,
                    external_id,
                }))
            }
        }
    }
}
