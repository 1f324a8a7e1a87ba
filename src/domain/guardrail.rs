//! Route 53's Change Guardrails (docs/design.md, "Lifecycle"): checks Route 53 runs on every change
//! batch, refusing the whole batch with `InvalidChangeBatch` naming the record and the guardrail.
//! Such a refusal is definite: retrying the same batch gets the same answer, so the Reason says
//! what to change instead.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guardrail {
    /// Always on: an NS value that looks like a Route 53 name server but is not one.
    NsFormat,
    /// Always on (public zones): NS to Route 53 name servers that do not host the subdomain.
    NsDelegationAuthority,
    /// Opt-in: a change that leaves records under a delegated subdomain.
    NsOcclusion,
    /// Opt-in (ADVANCED tier): deleting a record an alias in the zone points to.
    AliasTarget,
    /// Opt-in (ADVANCED tier): deleting a record that still receives queries.
    ActiveRecord,
    /// Opt-in (ADVANCED tier): deleting a delegation that still receives queries.
    ActiveDelegation,
}

impl Guardrail {
    pub const ALL: [Guardrail; 6] = [
        Guardrail::NsFormat,
        Guardrail::NsDelegationAuthority,
        Guardrail::NsOcclusion,
        Guardrail::AliasTarget,
        Guardrail::ActiveRecord,
        Guardrail::ActiveDelegation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Guardrail::NsFormat => "NS_FORMAT_CHECK",
            Guardrail::NsDelegationAuthority => "NS_DELEGATION_AUTHORITY_CHECK",
            Guardrail::NsOcclusion => "NS_OCCLUSION_CHECK",
            Guardrail::AliasTarget => "ALIAS_TARGET_CHECK",
            Guardrail::ActiveRecord => "ACTIVE_RECORD_CHECK",
            Guardrail::ActiveDelegation => "ACTIVE_DELEGATION_CHECK",
        }
    }

    /// The guardrail a refusal's message names, if any.
    pub fn named_in(message: &str) -> Option<Guardrail> {
        Guardrail::ALL
            .into_iter()
            .find(|g| message.contains(g.name()))
    }

    /// What the template author or the zone's owner can do about it.
    pub fn advice(self) -> &'static str {
        match self {
            Guardrail::NsFormat => {
                "a name server value looks like a Route 53 name server but is not one; check the child zone's name servers (ChildHostedZoneId) and retry"
            }
            Guardrail::NsDelegationAuthority => {
                "the child zone no longer hosts the name on those Route 53 name servers (deleted or re-created meanwhile?); check the child zone behind ChildHostedZoneId, then retry the stack operation"
            }
            Guardrail::NsOcclusion => {
                "the parent zone holds records at or below the delegated name that the delegation would hide; Route 53 refuses this whatever AllowOccludedRecords says. Move or delete those records first"
            }
            Guardrail::AliasTarget => {
                "an alias record in the parent zone points at this record; change or delete the alias first"
            }
            Guardrail::ActiveRecord => {
                "the record still receives DNS queries; move traffic off it first, or retain the resource (DeletionPolicy: Retain)"
            }
            Guardrail::ActiveDelegation => {
                "the delegation is still in use (its name servers still receive queries): move traffic off the child zone first, or retain the resource (DeletionPolicy: Retain). The stack shows DELETE_FAILED until then; a retried Delete succeeds once Route 53 allows it"
            }
        }
    }
}

impl fmt::Display for Guardrail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Route 53 refused a change batch as written; retrying it unchanged would be refused again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRefusal {
    pub guardrail: Option<Guardrail>,
    /// Route 53's own words.
    pub message: String,
}

impl ChangeRefusal {
    pub fn from_message(message: String) -> Self {
        ChangeRefusal {
            guardrail: Guardrail::named_in(&message),
            message,
        }
    }
}

impl fmt::Display for ChangeRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.guardrail {
            Some(g) => write!(
                f,
                "Route 53's Change Guardrail {g} refused the change: {}. Route 53 said: {}",
                g.advice(),
                self.message
            ),
            None => write!(f, "Route 53 refused the change batch: {}", self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_their_guardrail_and_say_what_to_do() {
        for g in Guardrail::ALL {
            let r = ChangeRefusal::from_message(format!(
                "[RRSet with DNS name dev.example.com., type NS] rejected by Change Guardrail {g}"
            ));
            assert_eq!(r.guardrail, Some(g));
            let text = r.to_string();
            assert!(text.contains(g.name()), "{text}");
            assert!(text.contains("dev.example.com."), "{text}");
        }
        let delete = ChangeRefusal::from_message("… ACTIVE_DELEGATION_CHECK …".into()).to_string();
        assert!(
            delete.contains("move traffic off the child zone first"),
            "{delete}"
        );
        assert!(delete.contains("DELETE_FAILED"), "{delete}");
        let plain = ChangeRefusal::from_message("RRSet of type NS is not permitted".into());
        assert_eq!(plain.guardrail, None);
        assert_eq!(
            plain.to_string(),
            "Route 53 refused the change batch: RRSet of type NS is not permitted"
        );
    }
}
