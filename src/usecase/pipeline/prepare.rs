//! The prepare phase (docs/design.md, "Pipeline"): for one request, everything that needs no
//! parent-account call. The cheapest refusals come first, then the verification with
//! CloudFormation, then (Create, Update) the child zone read in the child account and its name
//! held to the zone account's allotment.

use crate::domain::model::{RequestKind, Zone};
use crate::domain::plan::Identity;
use crate::domain::properties::Properties;
use crate::ports::{ChildZoneReader, Connector, During};
use crate::usecase::verify;
use crate::usecase::{Action, Context, DelegationRequest, Failure, Outcome};

/// A request ready for the parent zone, or already answered.
pub(super) enum Prepared<R> {
    Done(Result<Outcome, Failure>),
    /// A Create or Update, with its checked properties and the child zone as read in the child
    /// account.
    Upsert {
        props: Properties,
        reader: R,
        child: Zone,
    },
    /// A Delete of a delegation the provider wrote, with its checked properties.
    Delete {
        props: Properties,
        identity: Identity,
    },
}

pub(super) async fn prepare<C: Connector>(
    cx: &Context<'_, C>,
    request: &DelegationRequest,
) -> Prepared<C::Child> {
    let prepared = match request.kind {
        RequestKind::Create | RequestKind::Update => prepare_upsert(cx, request).await,
        RequestKind::Delete => prepare_delete(cx, request).await,
    };
    prepared.unwrap_or_else(|failure| Prepared::Done(Err(failure)))
}

async fn prepare_upsert<C: Connector>(
    cx: &Context<'_, C>,
    request: &DelegationRequest,
) -> Result<Prepared<C::Child>, Failure> {
    let props = request.props()?;
    let requester = verify::requester(cx, request, props, None).await?;
    let reader = cx
        .connector
        .child(props.child_role.as_ref(), &cx.session)
        .await?;
    let child = reader
        .hosted_zone(&props.child_zone_id)
        .await
        .map_err(|e| e.during(During::read_zones(props)))?;
    requester.may_delegate(cx, &child.name)?;
    Ok(Prepared::Upsert {
        props: props.clone(),
        reader,
        child,
    })
}

/// A Delete of an ID the provider never wrote (a failed or cancelled Create) is done at once,
/// whatever its properties say; any other is verified with the name its ID holds.
async fn prepare_delete<C: Connector>(
    cx: &Context<'_, C>,
    request: &DelegationRequest,
) -> Result<Prepared<C::Child>, Failure> {
    let physical_id = request.physical_id.clone().unwrap_or_default();
    let Some(identity) = Identity::parse(&physical_id) else {
        tracing::info!(physical_id = %physical_id, "Delete of an ID this provider never wrote (a failed or cancelled Create): nothing to do");
        return Ok(Prepared::Done(Ok(Outcome::of_delete(
            request,
            Action::NothingToDelete,
        ))));
    };
    cx.progress.set_identity(&identity);
    let props = request.props()?;
    verify::requester(cx, request, props, Some(&identity.name)).await?;
    Ok(Prepared::Delete {
        props: props.clone(),
        identity,
    })
}
