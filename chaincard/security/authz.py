"""Who may call what: the role × RPC matrix, and the one interceptor that enforces it.

Every RPC of every ``chaincard.v1`` service has a :class:`Rule` in :data:`MATRIX` (a test iterates
the generated descriptors to keep it so, and ``docs/security.md`` is generated from it). An RPC
missing from the matrix is refused. Health checking and reflection are always allowed (the
transport still demands a chain certificate).

How a call is authorised (:class:`AuthorizationInterceptor`):

1. **Who.** The bearer token in metadata ``authorization: Bearer <token>`` names an operator (role
   and scope); without one, the caller is the service named by its mTLS certificate. A bad,
   expired or revoked token, or no identity at all, is UNAUTHENTICATED.
2. **May this role / service call this RPC?** Otherwise PERMISSION_DENIED.
3. **A store's certificate speaks only for that store.** A store agent (or till) may name only its
   own store in the request's store fields (empty ones are filled in); any other store is
   PERMISSION_DENIED. With a staff resolver, the ``operator_id`` a store names must be its staff,
   and the staff member's role must be allowed (a cashier cannot adjust points).
4. **Scope.** For an operator not scoped to the whole chain, each RPC must be kept inside the
   operator's scope by at least one of: the acting store (``store_id``: inside the scope; filled
   in for a store-scoped operator), query filters forced to the operator's own region /
   franchisee / store (filled in when empty, PERMISSION_DENIED when they name another), ids in the
   request that must lie inside the scope (a franchisee's statement, a store), the answer's owner
   (a card's issuing franchisee …), or store staff acting on a card presented at their till. An
   RPC with none of these for the operator's level is refused: fail closed.
5. The handler runs with :func:`chaincard.security.identity.current_principal` set; lists in the
   answer are cut to the scope where the rule says so.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, cast

import grpc
from google.protobuf.message import Message

from chaincard.errors import ChainCardError, PermissionDenied, Unauthenticated
from chaincard.security import fields
from chaincard.security.bounds import check_bounds
from chaincard.security.identity import (
    PEER_KINDS,
    PeerIdentity,
    Place,
    Principal,
    Role,
    Scope,
    ScopeLevel,
    _current,
)
from chaincard.security.tls import auth_properties, peer_identity
from chaincard.security.tokens import TokenVerifier

if TYPE_CHECKING:
    from chaincard.v1 import member_view_pb2

log = logging.getLogger(__name__)

PACKAGE = "chaincard.v1"
AUTHORIZATION_HEADER = "authorization"
FORWARDED_HEADER = "x-chaincard-forwarded-by"  # region_service.forwarding: only regions may send it
ALWAYS_ALLOWED_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)

# Which service identities each kind of server accepts at all (mTLS peers of other kinds are
# refused before the matrix is looked at). A till talks to its store agent, never to the region.
PEERS_OF_HQ = frozenset({"region", "settlement", "store", "operator-client"})
PEERS_OF_REGION = frozenset({"region", "store", "hq", "settlement", "operator-client"})
PEERS_OF_STORE_AGENT = frozenset({"pos", "operator-client"})
PEERS_OF_SETTLEMENT = frozenset({"hq", "operator-client"})

# Every role of the chain's own people and integrations. A company administrator (C6, docs/adr/0045)
# is not among them: it reads its own company's account, cards and bulk recharges and nothing else,
# so the RPCs open to "everyone" (ListRegions, GetTokenVerificationKeys) are not open to it. Its own
# operator record, password and tokens are (SELF_SERVICE): the handlers let it touch only its own.
ALL_ROLES = frozenset(Role) - {Role.COMPANY_ADMIN}
SELF_SERVICE = frozenset(Role)
STORE_STAFF = frozenset({Role.CASHIER, Role.STORE_MANAGER})
INSECURE_PEER = PeerIdentity("insecure-dev")


# ---- the rules ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """A path into a message and the kind of thing the value there names: ``store``,
    ``franchisee``, ``region``, or any kind the :class:`Directory` has a resolver for
    (``statement``, ``card`` …)."""

    path: str
    kind: str


@dataclass(frozen=True)
class Redaction:
    """Drop the entries of a repeated response field that lie outside the caller's scope."""

    field: str
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Rule:
    # Operator roles that may call it (with a token).
    roles: frozenset[Role] = frozenset()
    # Service identities that may call it without a token (their certificate is the credential).
    peers: frozenset[str] = frozenset()
    # Anyone with a chain certificate (logging in).
    public: bool = False
    # "request": the interceptor keeps the call in scope with the fields below; "handler": the
    # handler does (it reads current_principal()); "none": nothing scoped is revealed or changed.
    scoped_by: str = "request"
    # Store ids in the request: a store's certificate must match them (empty ones are filled in);
    # for operators, the acting store, which must lie in the scope.
    store_fields: tuple[str, ...] = ()
    # Filters forced to the operator's own id at their scope level (filled in when empty).
    filters: Mapping[ScopeLevel, tuple[str, ...]] = field(default_factory=dict)
    # Other ids in the request that must lie in the operator's scope when given.
    targets: tuple[Check, ...] = ()
    # Ids in the answer: it must belong to the operator's scope (unary RPCs only).
    owners: tuple[Check, ...] = ()
    # Repeated answer fields cut to the scope (unary RPCs only).
    redactions: tuple[Redaction, ...] = ()
    # A custom cut of the answer (unary RPCs only): (response, covered(kind, id) -> bool).
    response_filter: Callable[[Message, Callable[[str, str], bool]], None] | None = None
    # Store staff may do this for any card presented at their till (cross-store service, X3).
    at_till: bool = False
    # The server's own store (a store agent's) is the acting store.
    local_store: bool = False
    # One line for docs/security.md.
    note: str = ""


def _rpc(service: str, method: str) -> str:
    return f"/{PACKAGE}.{service}/{method}"


C, SM, FA, RM, CC, HF, HA, AU, IN, CA = (
    Role.CASHIER, Role.STORE_MANAGER, Role.FRANCHISEE_ADMIN, Role.REGIONAL_MANAGER, Role.CALL_CENTER, Role.HQ_FINANCE,
    Role.HQ_ADMIN, Role.AUDITOR, Role.INTEGRATOR, Role.COMPANY_ADMIN)


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


# Reads of members, cards and transactions at a region (or through a store agent).
_REGION_READERS = _roles(C, SM, CC, HF, HA, AU, IN)
_STORE_FACING_PEERS = frozenset({"store", "pos", "region"})  # region: a call forwarded to the home region
_STORE_ID = ("store_id",)

_MEMBER_OWNERS = (Check("member.home_region", "region"), Check("member.registered_store_id", "store"))
_CARD_OWNERS = (Check("card.issuing_franchisee_id", "franchisee"), Check("card.issuing_store_id", "store"),
                Check("card.home_region", "region"))
_REPORT_FILTERS = {ScopeLevel.REGION: ("query.scope.region_code",), ScopeLevel.FRANCHISEE: ("query.scope.franchisee_id",),
                   ScopeLevel.STORE: ("query.scope.store_id",)}
_EXPORT_FILTERS = {
    level: tuple(f"{report}.scope.{name}" for report in ("sales", "top_members", "liability", "coupons"))
    for level, name in ((ScopeLevel.REGION, "region_code"), (ScopeLevel.FRANCHISEE, "franchisee_id"),
                        (ScopeLevel.STORE, "store_id"))
}
_REPORT_READERS = _roles(SM, FA, RM, HF, HA, AU)
_MEMBER_VIEW_READERS = _roles(SM, FA, RM, CC, HF, HA, AU, IN)


def _member_view_filter(answer: Message, covered: Callable[[str, str], bool]) -> None:
    """GetMemberView: keep the cards issued inside the scope, the linked cards (C5) issued inside it
    whose main card is kept, and the transactions on the cards kept."""
    response = cast("member_view_pb2.GetMemberViewResponse", answer)

    def inside(card: member_view_pb2.CardView | member_view_pb2.LinkedCardView) -> bool:
        return (covered("franchisee", card.issuing_franchisee_id) or covered("store", card.issuing_store_id)
                or covered("region", card.home_region))

    keep = [card for card in response.cards if inside(card)]
    kept_numbers = {card.card_number for card in keep}
    links = [link for link in response.linked_cards if link.main_card_number in kept_numbers and inside(link)]
    kept_numbers |= {link.card_number for link in links}
    transactions = [item for item in response.recent_transactions if item.card_number in kept_numbers]
    del response.cards[:]
    response.cards.extend(keep)
    del response.linked_cards[:]
    response.linked_cards.extend(links)
    del response.recent_transactions[:]
    response.recent_transactions.extend(transactions)


def _build_matrix() -> dict[str, Rule]:
    m: dict[str, Rule] = {}

    # MemberService, CardService, TransactionService: region_service and store_agent.
    def store_facing(service: str, method: str, roles: frozenset[Role], **kwargs: Any) -> None:
        # What a cashier may not do, a till may not do on its certificate alone: it must send the
        # token of someone allowed (a store manager at the till, say).
        peers = _STORE_FACING_PEERS if C in roles else _STORE_FACING_PEERS - {"pos"}
        m[_rpc(service, method)] = Rule(roles=roles, peers=peers, **kwargs)

    member_writers = _roles(C, SM, CC, HA, IN)
    store_facing("MemberService", "RegisterMember", member_writers, store_fields=_STORE_ID)
    store_facing("MemberService", "GetMember", _REGION_READERS, at_till=True, owners=_MEMBER_OWNERS)
    # HQ asks a member's home region whether a registration holding a phone claim ever completed (ADR 0008).
    m[_rpc("MemberService", "GetMember")] = replace(m[_rpc("MemberService", "GetMember")],
                                                     peers=m[_rpc("MemberService", "GetMember")].peers | {"hq"})
    store_facing("MemberService", "FindMember", _REGION_READERS, at_till=True, owners=_MEMBER_OWNERS)
    store_facing("MemberService", "UpdateMember", member_writers, store_fields=_STORE_ID)
    store_facing("MemberService", "ExportMemberData", _roles(SM, CC, HA), store_fields=_STORE_ID, owners=_MEMBER_OWNERS)
    # Erasure is an operator's act (call center, HQ): no till may erase a member on its certificate alone.
    m[_rpc("MemberService", "EraseMember")] = Rule(
        roles=_roles(CC, HA), peers=frozenset({"region"}), store_fields=_STORE_ID, scoped_by="handler",
        note="operators only, not tills; the member and the acting store must lie in the scope")

    # A notice's address, read by HQ's notice sender at send time (N5, docs/adr/0053): its
    # certificate only, no operator; audited at the region.
    m[_rpc("MemberService", "GetContactForNotice")] = Rule(
        peers=frozenset({"hq"}), scoped_by="none", note="HQ's notice sender only; audited at the home region")
    # A member's channel opt-out (N5): at a till, by the member's app (integrator), or the call center.
    store_facing("MemberService", "SetNoticeOptOut", _roles(C, SM, CC, HA, IN), store_fields=_STORE_ID)
    # A member's other dates (M6, docs/adr/0056): whoever may change the profile.
    store_facing("MemberService", "SetMemberDates", member_writers, store_fields=_STORE_ID)

    store_facing("CardService", "OpenCard", _roles(C, SM, IN), store_fields=_STORE_ID)
    store_facing("CardService", "GetCard", _REGION_READERS, at_till=True, owners=_CARD_OWNERS)
    store_facing("CardService", "GetBalance", _REGION_READERS, at_till=True)
    # A main card's linked cards with their limits and this month's spending (C5).
    store_facing("CardService", "ListLinkedCards", _REGION_READERS, at_till=True)
    store_facing("CardService", "ActivateCard", _roles(C, SM, CC, HA), store_fields=_STORE_ID)
    store_facing("CardService", "ReportCardLost", _roles(C, SM, CC, HA, IN), store_fields=_STORE_ID)
    for method in ("CancelCardLoss", "FreezeCard", "UnfreezeCard", "RenewCard", "LinkCard", "UnlinkCard"):
        store_facing("CardService", method, _roles(SM, CC, HA), store_fields=_STORE_ID)
    # A level set by hand (L2): a store manager at their store, or HQ; audited with its reason.
    store_facing("CardService", "ChangeCardLevel", _roles(SM, HA), store_fields=_STORE_ID)
    # A paid level (L2) is a sale at a till: the same roles as PurchaseCountUses.
    store_facing("CardService", "BuyLevel", _roles(C, SM, IN), store_fields=_STORE_ID)
    for method in ("ReplaceCard", "ReissueCard", "CloseCard"):
        store_facing("CardService", method, _roles(SM), store_fields=_STORE_ID)
    store_facing("CardService", "SetPin", _roles(C, SM), store_fields=_STORE_ID)
    store_facing("CardService", "ChangePin", _roles(C, SM, IN), store_fields=_STORE_ID)
    store_facing("CardService", "ResetPin", _roles(SM, CC), store_fields=_STORE_ID)
    store_facing("CardService", "RotateQrToken", _roles(C, SM, IN), at_till=True)
    store_facing("CardService", "ListCardCoupons", _REGION_READERS, at_till=True)
    store_facing("CardService", "IssueCoupon", _roles(SM, RM, HF, HA), store_fields=_STORE_ID, scoped_by="handler",
                 note="a store manager of the card's issuing franchisee, its region's manager, or HQ; with a reason (audited)")
    store_facing("CardService", "TransferCoupon", _roles(C, SM, IN), store_fields=_STORE_ID,
                 note="the holder gives a coupon at a till or by self-service")
    m[_rpc("CardService", "ReceiveTransferredCoupon")] = Rule(
        peers=frozenset({"region"}), scoped_by="none", note="region to region: a coupon given to a member homed there")
    store_facing("CardService", "WriteOffReceivable", _roles(SM), store_fields=_STORE_ID,
                 note="a store manager's decision, with a reason (audited)")

    till = _roles(C, SM, IN)
    for method in ("RechargeCard", "QuoteCheckout", "Checkout", "RedeemPoints", "PurchaseCountUses"):
        store_facing("TransactionService", method, till, store_fields=_STORE_ID)
    for method in ("RefundSale", "VoidSale", "VoidRecharge"):
        store_facing("TransactionService", method, _roles(SM), store_fields=_STORE_ID)
    store_facing("TransactionService", "AdjustPoints", _roles(SM, HF), store_fields=_STORE_ID,
                 note="a cashier cannot adjust points")
    store_facing("TransactionService", "GetTransaction", _REGION_READERS, at_till=True,
                 owners=(Check("transaction.store_id", "store"), Check("transaction.home_region", "region")))
    store_facing("TransactionService", "GetReceipt", _REGION_READERS, at_till=True)
    store_facing("TransactionService", "ListTransactions", _REGION_READERS, at_till=True)

    # StoreSyncService: store agents with their own certificate; regions forward advices.
    m[_rpc("StoreSyncService", "PullConfigSnapshot")] = Rule(peers=frozenset({"store"}), store_fields=_STORE_ID)
    # A store's region refreshes its cards of other regions, and relays their balance feeds, by
    # forwarding these calls to the cards' home regions (docs/adr/0017).
    m[_rpc("StoreSyncService", "RefreshCardCache")] = Rule(peers=frozenset({"store", "region"}), store_fields=_STORE_ID)
    m[_rpc("StoreSyncService", "SubscribeCardBalances")] = Rule(peers=frozenset({"store", "region"}), store_fields=_STORE_ID)
    # Which stores' agents call their region, with their offline queues (issue 19): operators, by scope.
    m[_rpc("StoreConnectionService", "ListStoreConnections")] = Rule(
        roles=_roles(SM, FA, RM, HA),
        filters={ScopeLevel.REGION: ("region_code",), ScopeLevel.FRANCHISEE: ("franchisee_id",),
                 ScopeLevel.STORE: ("store_id",)},
        redactions=(Redaction("stores", (Check("store_id", "store"),)),),
    )
    m[_rpc("StoreSyncService", "UploadOfflineAdvices")] = Rule(
        peers=frozenset({"store", "region"}),
        store_fields=("store_id", "advices[].store_id", "advices[].checkout.store_id"),
    )

    # StoreAgentService: the store's own tills and staff.
    for method in ("GetStoreStatus", "ReprintReceipt", "ListQueuedAdvices"):
        m[_rpc("StoreAgentService", method)] = Rule(roles=_roles(C, SM), peers=frozenset({"pos"}), local_store=True)

    # MemberIndexService (HQ): regions only; the card stock is an HQ admin's.
    for method in ("ClaimPhone", "LookupPhone", "ReleasePhone", "ResolveCardNumber"):
        m[_rpc("MemberIndexService", method)] = Rule(peers=frozenset({"region"}))
    m[_rpc("MemberIndexService", "RegisterPhysicalCards")] = Rule(roles=_roles(HA))

    # MemberViewService (HQ).
    m[_rpc("MemberViewService", "GetMemberView")] = Rule(
        roles=_MEMBER_VIEW_READERS,
        owners=(*_MEMBER_OWNERS, Check("cards[].issuing_franchisee_id", "franchisee"), Check("cards[].issuing_store_id", "store")),
        response_filter=_member_view_filter,
        note="cards and transactions outside the scope are removed",
    )
    m[_rpc("MemberViewService", "SearchMemberViews")] = Rule(
        roles=_MEMBER_VIEW_READERS,
        filters={ScopeLevel.REGION: ("home_region",), ScopeLevel.FRANCHISEE: ("issuing_franchisee_id",),
                 ScopeLevel.STORE: ("registered_store_id",)},
    )

    # SegmentService (HQ, docs/adr/0058): a segment is kept within its saver's scope.
    segment_scope = {ScopeLevel.REGION: ("scope_region",), ScopeLevel.FRANCHISEE: ("scope_franchisee_id",),
                     ScopeLevel.STORE: ("scope_store_id",)}
    segment_owners = (Check("segment.scope_region", "region"), Check("segment.scope_franchisee_id", "franchisee"),
                      Check("segment.scope_store_id", "store"))
    segment_users = _roles(SM, FA, RM, HF, HA, AU)
    m[_rpc("SegmentService", "SaveSegment")] = Rule(roles=_roles(SM, FA, RM, HF, HA), filters=segment_scope,
                                                    note="saved within the operator's scope; audited")
    m[_rpc("SegmentService", "ListSegments")] = Rule(roles=segment_users, filters=segment_scope)
    for method in ("GetSegment", "GetSegmentSize"):
        m[_rpc("SegmentService", method)] = Rule(roles=segment_users, owners=segment_owners)
    m[_rpc("SegmentService", "ExportSegment")] = Rule(roles=segment_users, filters=segment_scope,
                                                      note="the segment must lie within the caller's scope; audited")
    m[_rpc("SegmentService", "RunRfm")] = Rule(roles=_roles(HA), scoped_by="none", note="RFM run: HQ admin only")
    m[_rpc("SegmentService", "ShowRfm")] = Rule(
        roles=segment_users, filters={ScopeLevel.REGION: ("home_region",), ScopeLevel.FRANCHISEE: ("franchisee_id",)})

    # CampaignService (HQ, docs/adr/0055): HQ admin chain-wide, a regional manager within their
    # region (the campaign and its segment are kept within it).
    campaign_scope = {ScopeLevel.REGION: ("scope_region",)}
    m[_rpc("CampaignService", "CreateCampaign")] = Rule(roles=_roles(HA, RM), filters=campaign_scope,
                                                      note="kept within the operator's region; audited")
    m[_rpc("CampaignService", "ScheduleCampaign")] = Rule(roles=_roles(HA, RM), filters=campaign_scope,
                                                        note="the campaign must lie within the caller's region; audited")
    for method in ("GetCampaignReport", "ListCampaigns"):
        m[_rpc("CampaignService", method)] = Rule(roles=_roles(HA, RM, HF, AU), filters=campaign_scope)

    # ReportService (HQ).
    m[_rpc("ReportService", "GetStoreDailySummary")] = Rule(roles=_REPORT_READERS, targets=(Check("query.store_id", "store"),))
    for method in ("StreamSalesReport", "StreamTopMembers", "StreamLiabilityReport", "StreamCouponReport", "GetLevelMix"):
        m[_rpc("ReportService", method)] = Rule(roles=_REPORT_READERS, filters=_REPORT_FILTERS)
    m[_rpc("ReportService", "ExportReport")] = Rule(
        roles=_REPORT_READERS, filters=_EXPORT_FILTERS, targets=(Check("store_daily.store_id", "store"),)
    )

    # EventPipelineService (HQ, issue 19): consumer lag is chain-wide operations data, cut by no scope.
    m[_rpc("EventPipelineService", "GetConsumerLag")] = Rule(
        roles=_roles(HA, AU), note="chain-wide operations data: HQ admin and auditors with a chain scope")

    # CommissionService (HQ, docs/adr/0043): the nightly computation is HQ's; the reports are read
    # by HQ for the whole chain and by a store's managers (FA, RM, SM) for one store in their scope.
    m[_rpc("CommissionService", "RunCommission")] = Rule(roles=_roles(HA, HF))
    for method in ("GetCommissionReport", "GetStaffSalesReport", "ExportStaffReport"):
        m[_rpc("CommissionService", method)] = Rule(roles=_REPORT_READERS, targets=(Check("store_id", "store"),))

    # SettlementService.
    statement_readers = _roles(HF, FA, AU)
    m[_rpc("SettlementService", "RunSettlement")] = Rule(roles=_roles(HF))
    m[_rpc("SettlementService", "GetSettlementRun")] = Rule(roles=_roles(HF, HA, AU))
    m[_rpc("SettlementService", "ListSettlementRuns")] = Rule(roles=_roles(HF, HA, AU))
    m[_rpc("SettlementService", "GetStatement")] = Rule(
        roles=statement_readers,
        targets=(Check("franchisee_id", "franchisee"), Check("statement_id", "statement")),
        owners=(Check("statement.franchisee_id", "franchisee"),),
    )
    m[_rpc("SettlementService", "ListStatements")] = Rule(
        roles=statement_readers, filters={ScopeLevel.FRANCHISEE: ("franchisee_id",)}
    )
    m[_rpc("SettlementService", "ExportStatement")] = Rule(
        roles=statement_readers, targets=(Check("statement_id", "statement"),),
        note="franchisee callers need the settlement server's statement resolver",
    )
    m[_rpc("SettlementService", "StreamClearingRecords")] = Rule(
        roles=statement_readers, filters={ScopeLevel.FRANCHISEE: ("franchisee_id",)}
    )
    # The statement readers; a franchisee admin is forced to its own franchisee and so gets its
    # statement extract, never manifest.json, which lists every franchisee's net (docs/adr/0059).
    m[_rpc("SettlementService", "GetSettlementManifest")] = Rule(
        roles=statement_readers, filters={ScopeLevel.FRANCHISEE: ("franchisee_id",)},
        note="franchisee admins get their own statement extract, not the whole manifest.json",
    )

    # DirectoryService (HQ).
    directory_peers = frozenset({"region", "settlement"})
    for method in ("UpsertRegion", "UpsertFranchisee", "UpsertStore"):
        m[_rpc("DirectoryService", method)] = Rule(roles=_roles(HA))
    m[_rpc("DirectoryService", "ListRegions")] = Rule(roles=ALL_ROLES, peers=directory_peers, scoped_by="none")
    m[_rpc("DirectoryService", "ListFranchisees")] = Rule(
        roles=_roles(HA, HF, AU, FA, RM), peers=directory_peers,
        redactions=(Redaction("franchisees", (Check("franchisee_id", "franchisee"),)),),
    )
    m[_rpc("DirectoryService", "GetStore")] = Rule(
        roles=_roles(HA, HF, AU, RM, FA, SM, C), peers=directory_peers, targets=(Check("store_id", "store"),)
    )
    m[_rpc("DirectoryService", "ListStores")] = Rule(
        roles=_roles(HA, HF, AU, RM, FA, SM), peers=directory_peers,
        filters={ScopeLevel.REGION: ("region_code",), ScopeLevel.FRANCHISEE: ("franchisee_id",)},
        redactions=(Redaction("stores", (Check("store_id", "store"),)),),
    )
    m[_rpc("DirectoryService", "UpsertStaff")] = Rule(roles=_roles(HA, FA, SM), targets=(Check("staff.store_id", "store"),))
    m[_rpc("DirectoryService", "ListStaff")] = Rule(roles=_roles(HA, FA, SM, AU, RM), targets=(Check("store_id", "store"),))

    # ProgramConfigService (HQ): writes are HQ's; the snapshot is read by regions and settlement.
    for method in ("UpsertCardType", "UpsertLevel", "UpsertLevelRule", "UpsertRechargePromotion", "UpsertEarnRule",
                   "UpsertPointsRedemptionRule", "SetPointsDeductionPolicy", "SetPointsExpiryPolicy", "SetReferralProgram", "UpsertCouponTemplate", "UpsertCountItem",
                   "UpsertCountPackage", "UpsertCommissionPlan", "SetOfflineLimits", "SetStoreOfflineLimits", "UpsertNotificationTemplate", "SetChainSettings"):
        m[_rpc("ProgramConfigService", method)] = Rule(roles=_roles(HA), note="configuration: HQ admin only")
    m[_rpc("ProgramConfigService", "SetFeeSchedule")] = Rule(roles=_roles(HA, HF))
    m[_rpc("ProgramConfigService", "GetConfigSnapshot")] = Rule(roles=_roles(HA, HF, AU, IN), peers=directory_peers)

    # AuditService (HQ).
    m[_rpc("AuditService", "ListAuditEntries")] = Rule(
        roles=_roles(HA, HF, AU, FA, RM, SM),
        filters={ScopeLevel.REGION: ("region_code",), ScopeLevel.FRANCHISEE: ("franchisee_id",),
                 ScopeLevel.STORE: ("store_id",)},
    )

    # BulkCouponIssueService (HQ) and CouponBatchService (regions): bulk coupon issue (docs/adr/0024).
    bulk_issuers = _roles(HA, HF, RM)
    m[_rpc("BulkCouponIssueService", "StartBulkIssue")] = Rule(
        roles=bulk_issuers, scoped_by="handler",
        note="streamed cards; a regional manager only for cards homed in their region (checked by the handler)")
    m[_rpc("BulkCouponIssueService", "GetBulkIssue")] = Rule(
        roles=_roles(HA, HF, RM, AU), owners=(Check("job.region_code", "region"),))
    m[_rpc("BulkCouponIssueService", "ListBulkIssues")] = Rule(
        roles=_roles(HA, HF, RM, AU), filters={ScopeLevel.REGION: ("region_code",)})
    m[_rpc("BulkCouponIssueService", "UpsertMemberFilter")] = Rule(roles=_roles(HA, HF), note="saved member filters: HQ's")
    m[_rpc("BulkCouponIssueService", "ListMemberFilters")] = Rule(roles=_roles(HA, HF, RM, AU), scoped_by="none")
    m[_rpc("CouponBatchService", "IssueCouponBatch")] = Rule(
        peers=frozenset({"hq"}), note="HQ sends each chunk of a bulk issue to the cards' home region")

    # CompanyService (HQ): corporate card accounts (C6, docs/adr/0045). HQ creates them; a region's
    # manager and the franchisee a company buys from see it; the company's own administrator (company
    # scope) sees its account, its cards and its bulk recharges, held to its company by the answer.
    company_readers = _roles(HA, HF, AU, RM, FA)
    own_company_readers = company_readers | {CA}
    company_owners = (Check("company.home_region", "region"), Check("company.franchisee_id", "franchisee"),
                      Check("company.company_id", "company"))
    m[_rpc("CompanyService", "CreateCompany")] = Rule(roles=_roles(HA, HF), note="company accounts: HQ's")
    m[_rpc("CompanyService", "GetCompany")] = Rule(roles=own_company_readers, owners=company_owners)
    m[_rpc("CompanyService", "ListCompanies")] = Rule(
        roles=company_readers, filters={ScopeLevel.REGION: ("home_region",), ScopeLevel.FRANCHISEE: ("franchisee_id",)})
    m[_rpc("CompanyService", "BulkRecharge")] = Rule(
        roles=_roles(HA, HF), scoped_by="none", note="invoiced bulk recharge: HQ finance places a company's order")
    m[_rpc("CompanyService", "GetBulkRecharge")] = Rule(roles=own_company_readers, owners=company_owners)
    m[_rpc("CompanyService", "ListCompanyCards")] = Rule(roles=own_company_readers, owners=company_owners)
    m[_rpc("CompanyService", "RecordCompanyPayment")] = Rule(
        roles=_roles(HA, HF), scoped_by="none", note="a company's payment of its invoices: HQ finance records it")
    m[_rpc("CompanyOrderService", "PostCompanyOrder")] = Rule(
        peers=frozenset({"hq"}), note="HQ sends each region the chunk of a company's bulk recharge it homes")
    m[_rpc("CompanyOrderService", "PostCompanyPayment")] = Rule(
        peers=frozenset({"hq"}), note="HQ sends each region its part of a company's payment")
    m[_rpc("CompanyService", "CreditCompanyLine")] = Rule(
        roles=_roles(HA, HF), scoped_by="none", note="a credit note on a company's invoiced line: HQ finance issues it")
    m[_rpc("CompanyOrderService", "VoidCompanyLine")] = Rule(
        peers=frozenset({"hq"}), note="HQ sends the region a credit note on a line it posted")
    # ImportService (HQ) and RegionImportService (regions): a chain's old data (docs/adr/0040).
    m[_rpc("ImportService", "ImportRows")] = Rule(
        roles=_roles(HA), scoped_by="none", note="streamed rows; going live imports the whole chain's members and balances")
    m[_rpc("RegionImportService", "ImportChunk")] = Rule(
        peers=frozenset({"hq"}), note="HQ sends each chunk of an import to its members' home region")

    # OperatorService (HQ): its handlers apply the finer rules (self-service, own stores' staff).
    m[_rpc("OperatorService", "UpsertOperator")] = Rule(roles=_roles(HA, FA), scoped_by="handler")
    m[_rpc("OperatorService", "GetOperator")] = Rule(roles=SELF_SERVICE, scoped_by="handler")
    m[_rpc("OperatorService", "ListOperators")] = Rule(roles=_roles(HA, FA, AU), scoped_by="handler")
    m[_rpc("OperatorService", "SetOperatorPassword")] = Rule(roles=SELF_SERVICE, scoped_by="handler")
    m[_rpc("OperatorService", "IssueToken")] = Rule(public=True, note="log-in: password checked by the handler")
    m[_rpc("OperatorService", "RevokeToken")] = Rule(roles=SELF_SERVICE, scoped_by="handler")
    m[_rpc("OperatorService", "GetTokenVerificationKeys")] = Rule(
        roles=ALL_ROLES, peers=frozenset({"hq", "region", "settlement", "store"}), scoped_by="none"
    )
    return m


MATRIX: dict[str, Rule] = _build_matrix()


# ---- where things sit ----------------------------------------------------------------------------
class Directory:
    """Places ids for scope checks.

    ``stores``: store id → Place (a mapping, or a function returning one, called on each look-up
    so a refreshed config snapshot is seen). ``resolvers``: kind → function placing an id of that
    kind (``"statement"`` → its franchisee, ``"card"`` → issuer …); a kind without a resolver is
    not checked in requests (the answer's owner check still applies).
    """

    def __init__(
        self,
        stores: Mapping[str, Place] | Callable[[], Mapping[str, Place]] | None = None,
        resolvers: Mapping[str, Callable[[str], Place | None]] | None = None,
    ) -> None:
        self._stores = stores if stores is not None else {}
        self.resolvers = dict(resolvers or {})

    def stores(self) -> Mapping[str, Place]:
        return self._stores() if callable(self._stores) else self._stores

    def can_place(self, kind: str) -> bool:
        return kind in ("store", "franchisee", "region", "company") or kind in self.resolvers

    def place_of(self, kind: str, value: str) -> Place | None:
        if kind == "franchisee":
            return Place(franchisee=value)
        if kind == "region":
            return Place(region=value)
        if kind == "company":
            return Place(company=value)
        if kind == "store":
            known = self.stores().get(value)
            return Place(region=known.region, franchisee=known.franchisee, store=value) if known else Place(store=value)
        resolver = self.resolvers.get(kind)
        return resolver(value) if resolver is not None else None


def stores_from_snapshot(snapshot: Any) -> dict[str, Place]:
    """Store id → Place from a chaincard.v1.ConfigSnapshot (or anything with ``stores``)."""
    return {store.store_id: Place.of_store(store) for store in snapshot.stores}


# What a staff resolver answers for a store with no staff on file: its certificate vouches for
# whoever it names (as before HQ kept staff). Once HQ lists a store's staff, the list decides.
STORE_VOUCHES = "store vouches"


def staff_roles_from_snapshot(snapshot: Any) -> Callable[[str, str], Role | str | None]:
    """A staff resolver for AuthorizationInterceptor: (store id, operator id or staff id) → the
    active staff member's role at that store, from a ConfigSnapshot's ``staff``; None when the
    store lists staff but not this one; STORE_VOUCHES when the store lists no staff at all."""
    roles: dict[tuple[str, str], Role] = {}
    listed = {staff.store_id for staff in snapshot.staff}
    for staff in snapshot.staff:
        if not staff.active:
            continue
        role = {1: Role.CASHIER, 2: Role.STORE_MANAGER}.get(staff.role)
        if role is None:
            continue
        for key in (staff.operator_id, staff.staff_id):
            if key:
                roles[(staff.store_id, key)] = role
    return lambda store_id, operator_id: roles.get((store_id, operator_id)) if store_id in listed else STORE_VOUCHES


class StaffRoles(Protocol):
    def __call__(self, store_id: str, operator_id: str) -> Role | str | None: ...


# ---- the interceptor ------------------------------------------------------------------------------
@dataclass
class _Decision:
    principal: Principal
    rule: Rule
    check_answer: bool


def _bearer_token(metadata: Iterable[tuple[str, Any]]) -> str | None:
    found = [value for key, value in metadata if key == AUTHORIZATION_HEADER]
    if not found:
        return None
    if len(found) > 1:
        raise Unauthenticated("more than one authorization header")
    value = found[0].decode() if isinstance(found[0], bytes) else str(found[0])
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("authorization must be 'Bearer <token>'")
    return token.strip()


class AuthorizationInterceptor(grpc.ServerInterceptor):
    """Authorises every RPC by the matrix. Put it first: ``build_server(..., interceptors=[it])``.

    - ``verifier``: checks operator tokens (a TokenVerifier over HQ's published keys).
    - ``matrix``: the rules (default :data:`MATRIX`).
    - ``accepted_peers``: the service identities this server serves at all (``PEERS_OF_REGION`` …).
    - ``directory``: places stores (and statements, cards …) for scope checks.
    - ``staff_roles``: (store id, operator id) → role, to hold a store's till calls to the named
      staff member's role; None trusts the store for every store-facing RPC.
    - ``local_store``: the store agent's own store id (its StoreAgentService is about it).
    - ``bounds``: apply these field bounds to every request carrying a ``request_id`` (mutating).
    - ``insecure_dev``: plaintext callers without a token count as a trusted service (``--insecure``
      development only; store binding cannot apply).
    - ``on_denied``: called with (method, principal or None, status name, reason) for each refusal,
      e.g. to audit refused attempts.
    """

    def __init__(
        self,
        verifier: TokenVerifier | None,
        matrix: Mapping[str, Rule] | None = None,
        *,
        accepted_peers: Iterable[str] | None = None,
        directory: Directory | None = None,
        staff_roles: StaffRoles | None = None,
        local_store: str | None = None,
        bounds: Any = None,
        insecure_dev: bool = False,
        on_denied: Callable[[str, Principal | None, str, str], None] | None = None,
    ) -> None:
        self.verifier = verifier
        self.matrix = MATRIX if matrix is None else matrix
        self.accepted_peers = frozenset(PEER_KINDS if accepted_peers is None else accepted_peers)
        self.directory = directory or Directory()
        self.staff_roles = staff_roles
        self.local_store = local_store
        self.bounds = bounds
        self.insecure_dev = insecure_dev
        self.on_denied = on_denied

    # -- grpc plumbing
    def intercept_service(self, continuation: Callable[..., Any], handler_call_details: grpc.HandlerCallDetails) -> Any:
        method = handler_call_details.method
        if method.startswith(ALWAYS_ALLOWED_PREFIXES):
            return continuation(handler_call_details)
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._guard_unary(handler.unary_unary, method),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._guard_stream(handler.unary_stream, method),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._guard_stream_unary(handler.stream_unary, method),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer,
            )
        # No chaincard.v1 RPC streams both ways: refuse one rather than pass it through unchecked.
        return grpc.stream_stream_rpc_method_handler(self._refuse_streaming(method),
                                                     request_deserializer=handler.request_deserializer,
                                                     response_serializer=handler.response_serializer)

    def _refuse_streaming(self, method: str) -> Callable[..., Any]:
        def refuse(request_iterator: Any, context: grpc.ServicerContext) -> Any:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{method}: request streams are not authorised")

        return refuse

    def _abort(self, context: grpc.ServicerContext, method: str, principal: Principal | None, error: ChainCardError) -> None:
        log.info("refused", extra={"fields": {"method": method, "status": error.status_name, "reason": error.message,
                                               "caller": _describe(principal)}})
        if self.on_denied is not None:
            try:
                self.on_denied(method, principal, error.status_name, error.message)
            except Exception:  # noqa: BLE001 - the refusal itself must still reach the caller
                log.exception("on_denied hook failed")
        context.abort(grpc.StatusCode[error.status_name], error.message)

    def _guard_unary(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                decision = self.authorise(method, request, context)
            except ChainCardError as error:
                self._abort(context, method, getattr(error, "principal", None), error)
                return None
            token = _current.set(decision.principal)
            try:
                response = behavior(request, context)
            finally:
                _current.reset(token)
            if decision.check_answer and response is not None:
                try:
                    self._check_answer(decision, response)
                except ChainCardError as error:
                    self._abort(context, method, decision.principal, error)
            return response

        return guarded

    def _guard_stream(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                decision = self.authorise(method, request, context)
            except ChainCardError as error:
                self._abort(context, method, getattr(error, "principal", None), error)
                return
            # A generator may resume in another context: restore by value, not by token.
            previous = _current.get()
            _current.set(decision.principal)
            try:
                yield from behavior(request, context)
            finally:
                _current.set(previous)

        return guarded

    def _guard_stream_unary(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        """A request stream (StartBulkIssue) is authorised on its first message, which names what
        the call does; every later message passes the same bounds check before the handler sees it."""

        def guarded(request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Any:
            first = next(request_iterator, None)
            if first is None:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the request stream is empty")
            try:
                decision = self.authorise(method, first, context)
            except ChainCardError as error:
                self._abort(context, method, getattr(error, "principal", None), error)
                return None

            def checked() -> Iterator[Any]:
                yield first
                for message in request_iterator:
                    self._check_bounds(message)
                    yield message

            token = _current.set(decision.principal)
            try:
                return behavior(checked(), context)
            finally:
                _current.reset(token)

        return guarded

    # -- the decision
    def authorise(self, method: str, request: Message, context: grpc.ServicerContext) -> _Decision:
        """Who is calling and whether they may; fills store ids and filters in ``request``.
        Raises Unauthenticated / PermissionDenied / InvalidArgument."""
        rule = self.matrix.get(method)
        if rule is None:
            raise PermissionDenied(f"{method} is not in the authorisation matrix")
        peer = peer_identity(context)
        if peer is None and self.insecure_dev and auth_properties(context).get("transport_security_type") != [b"ssl"]:
            peer = INSECURE_PEER
        if peer is not None and peer is not INSECURE_PEER and peer.kind not in self.accepted_peers:
            raise PermissionDenied(f"this server does not serve {peer.kind} callers")
        metadata = context.invocation_metadata() or ()
        if peer is not None and peer.kind not in ("region", INSECURE_PEER.kind) and any(
            key == FORWARDED_HEADER for key, _ in metadata
        ):
            raise PermissionDenied(f"only a region may send {FORWARDED_HEADER}")

        token = _bearer_token(metadata)
        if rule.public:
            self._check_bounds(request)
            return _Decision(Principal(peer=peer), rule, check_answer=False)

        if token is not None:
            if self.verifier is None:
                raise Unauthenticated("this server does not accept operator tokens")
            claims = self.verifier.verify(token)
            principal = Principal(operator_id=claims.operator_id, role=claims.role, scope=claims.scope,
                                  token_id=claims.token_id, peer=peer)
            try:
                if claims.role not in rule.roles:
                    raise PermissionDenied(f"role {claims.role.name} may not call {_short(method)}")
                self._bind_store(rule, request, peer)
                check_answer = self._keep_in_scope(method, rule, request, claims.scope)
                self._check_bounds(request)
            except ChainCardError as error:
                error.principal = principal
                raise
            return _Decision(principal, rule, check_answer)

        if peer is None or peer.kind == "operator-client":
            raise Unauthenticated("no credentials: log in and send 'authorization: Bearer <token>'")
        principal = Principal(peer=peer)
        try:
            if peer is not INSECURE_PEER and peer.kind not in rule.peers:
                raise PermissionDenied(f"{peer} may not call {_short(method)} without an operator token")
            self._bind_store(rule, request, peer)
            self._check_staff(method, rule, request, peer)
            self._check_bounds(request)
        except ChainCardError as error:
            error.principal = principal
            raise
        return _Decision(principal, rule, check_answer=False)

    def _bind_store(self, rule: Rule, request: Message, peer: PeerIdentity | None) -> None:
        """A store's (or till's) certificate speaks for its own store only."""
        if peer is None or peer.kind not in ("store", "pos"):
            return
        if peer.kind == "pos" and self.local_store is not None and peer.id != self.local_store:
            raise PermissionDenied(f"a till of store {peer.id} cannot use the agent of store {self.local_store}")
        for path in rule.store_fields:
            for container, name in fields.slots(request, path):
                value = getattr(container, name)
                if not value:
                    setattr(container, name, peer.id)
                elif value != peer.id:
                    raise PermissionDenied(f"the certificate of store {peer.id} cannot act for store {value!r} ({path})")

    def _check_staff(self, method: str, rule: Rule, request: Message, peer: PeerIdentity) -> None:
        if self.staff_roles is None or peer.kind not in ("store", "pos"):
            return
        if "operator_id" not in request.DESCRIPTOR.fields_by_name:
            return
        operator_id = request.operator_id  # type: ignore[attr-defined]  # any request: the field is checked above
        found = self.staff_roles(peer.id, operator_id)
        if found == STORE_VOUCHES:
            return
        role = found if operator_id else Role.CASHIER  # nobody named: the least rights
        if not isinstance(role, Role):
            raise PermissionDenied(f"operator_id {operator_id!r} is not active staff of store {peer.id}")
        if role not in rule.roles:
            raise PermissionDenied(f"a {role.name.lower().replace('_', ' ')} may not call {_short(method)}")

    def _check_bounds(self, request: Message) -> None:
        if self.bounds is not None and "request_id" in request.DESCRIPTOR.fields_by_name:
            check_bounds(request, self.bounds)

    def _covered(self, scope: Scope, kind: str, value: str) -> bool:
        if scope.level is ScopeLevel.CHAIN:
            return True
        if not value:
            return False
        if kind == "store" and scope.level is ScopeLevel.STORE:
            return value == scope.id
        return scope.covers(self.directory.place_of(kind, value))

    def _keep_in_scope(self, method: str, rule: Rule, request: Message, scope: Scope) -> bool:
        """Apply the scope checks; True when the answer must be checked too."""
        if scope.level is ScopeLevel.CHAIN:
            return False
        if rule.scoped_by in ("handler", "none"):
            return False
        applied = 0
        outside = f"outside your scope ({scope})"
        for path in rule.store_fields:
            for container, name in fields.slots(request, path):
                value = getattr(container, name)
                if not value and scope.level is ScopeLevel.STORE:
                    setattr(container, name, scope.id)
                    value = scope.id
                if value:
                    if not self._covered(scope, "store", value):
                        raise PermissionDenied(f"store {value!r} is {outside}")
                    applied += 1
        if rule.local_store:
            if self.local_store is None or not self._covered(scope, "store", self.local_store):
                raise PermissionDenied(f"this store is {outside}")
            applied += 1
        for path in rule.filters.get(scope.level, ()):
            for container, name in fields.slots(request, path):
                value = getattr(container, name)
                if not value:
                    setattr(container, name, scope.id)
                elif value != scope.id:
                    raise PermissionDenied(f"{path} {value!r} is {outside}")
                applied += 1
        for check in rule.targets:
            if not self.directory.can_place(check.kind):
                continue
            for value in fields.values(request, check.path):
                if not self._covered(scope, check.kind, value):
                    raise PermissionDenied(f"{check.path} {value!r} is {outside}")
                applied += 1
        at_till = rule.at_till and scope.level is ScopeLevel.STORE
        answer_checked = not at_till and bool(rule.owners or rule.redactions or rule.response_filter)
        if applied == 0 and not at_till and not answer_checked:
            raise PermissionDenied(f"{_short(method)} cannot be limited to {scope.level.label} scope ({scope})")
        return answer_checked

    def _check_answer(self, decision: _Decision, response: Message) -> None:
        scope = decision.principal.scope
        assert scope is not None
        rule = decision.rule

        def covered(kind: str, value: str) -> bool:
            return self._covered(scope, kind, value)

        if rule.owners:
            owned = [(check.kind, value) for check in rule.owners for value in fields.values(response, check.path)]
            if not any(covered(kind, value) for kind, value in owned):
                raise PermissionDenied(f"the answer is outside your scope ({scope})")
        for redaction in rule.redactions:
            entries = getattr(response, redaction.field)
            keep = [entry for entry in entries
                    if any(covered(check.kind, value) for check in redaction.checks for value in fields.values(entry, check.path))]
            del entries[:]
            entries.extend(keep)
        if rule.response_filter is not None:
            rule.response_filter(response, covered)


def _short(method: str) -> str:
    return method.rsplit("/", 1)[-1]


def _describe(principal: Principal | None) -> str:
    if principal is None:
        return "unknown"
    if principal.is_operator:
        return f"{principal.operator_id} ({principal.role.name if principal.role else ''}, {principal.scope})"
    return str(principal.peer or "")


# ---- checking and documenting the matrix -----------------------------------------------------------
@functools.lru_cache(maxsize=1)
def chaincard_methods() -> dict[str, Any]:
    """Every RPC of every chaincard.v1 service: full method name → MethodDescriptor."""
    import importlib
    import pkgutil

    import chaincard.v1

    methods: dict[str, Any] = {}
    for module_info in pkgutil.iter_modules(chaincard.v1.__path__):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"chaincard.v1.{module_info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                methods[f"/{service.full_name}/{method.name}"] = method
    return methods


def validate_matrix(matrix: Mapping[str, Rule] = MATRIX) -> None:
    """Raise ValueError when a rule names an unknown RPC or field, or an RPC has no rule."""
    methods = chaincard_methods()
    missing = sorted(set(methods) - set(matrix))
    if missing:
        raise ValueError(f"RPCs missing from the authorisation matrix: {missing}")
    for name, rule in matrix.items():
        method = methods.get(name)
        if method is None:
            raise ValueError(f"the matrix names an unknown RPC {name}")
        unknown_peers = rule.peers - set(PEER_KINDS)
        if unknown_peers:
            raise ValueError(f"{name}: unknown peer kinds {sorted(unknown_peers)}")
        if rule.scoped_by not in ("request", "handler", "none"):
            raise ValueError(f"{name}: scoped_by must be request, handler or none")
        for path in (*rule.store_fields, *(path for paths in rule.filters.values() for path in paths),
                     *(check.path for check in rule.targets)):
            fields.check_path(method.input_type, path)
        if (rule.owners or rule.redactions or rule.response_filter) and method.server_streaming:
            raise ValueError(f"{name}: answers of streaming RPCs cannot be checked")
        if rule.owners and "request_id" in method.input_type.fields_by_name:
            raise ValueError(f"{name}: a write cannot be kept in scope by its answer (it is done by then)")
        for check in rule.owners:
            fields.check_path(method.output_type, check.path)
        for redaction in rule.redactions:
            entry = method.output_type.fields_by_name[redaction.field].message_type
            for check in redaction.checks:
                fields.check_path(entry, check.path)


_ROLE_ORDER = (C, SM, FA, RM, CC, HF, HA, AU, IN, CA)
_ROLE_ABBREVIATIONS = {C: "C", SM: "SM", FA: "FA", RM: "RM", CC: "CC", HF: "HF", HA: "HA", AU: "AU", IN: "IN",
                       CA: "CA"}


def _scope_text(rule: Rule) -> str:
    if rule.public:
        return "public (password checked)"
    parts = []
    if rule.scoped_by == "handler":
        parts.append("by the handler")
    elif rule.scoped_by == "none":
        parts.append("not scoped")
    if rule.store_fields:
        parts.append("acting store " + ", ".join(f"`{path}`" for path in rule.store_fields))
    if rule.local_store:
        parts.append("the agent's own store")
    for level, paths in rule.filters.items():
        parts.append(f"{level.label} → " + ", ".join(f"`{path}`" for path in paths))
    if rule.targets:
        parts.append("in scope: " + ", ".join(f"`{check.path}`" for check in rule.targets))
    if rule.owners:
        parts.append("answer owned: " + ", ".join(f"`{check.path}`" for check in rule.owners))
    if rule.redactions:
        parts.append("list cut: " + ", ".join(f"`{redaction.field}`" for redaction in rule.redactions))
    if rule.at_till:
        parts.append("any card at the till")
    if rule.note:
        parts.append(rule.note)
    return "; ".join(parts) if parts else "chain scope only"


def render_matrix_markdown(matrix: Mapping[str, Rule] = MATRIX) -> str:
    """The role × RPC table of docs/security.md."""
    header = ["RPC", *(_ROLE_ABBREVIATIONS[role] for role in _ROLE_ORDER), "services (mTLS)", "scope"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in sorted(matrix):
        rule = matrix[name]
        service, method = name.strip("/").split("/")
        roles = ["all" if rule.public else ("✓" if role in rule.roles else "") for role in _ROLE_ORDER]
        peers = ", ".join(sorted(rule.peers)) or ("any" if rule.public else "")
        lines.append("| " + " | ".join([f"{service.removeprefix(PACKAGE + '.')}.{method}", *roles, peers, _scope_text(rule)]) + " |")
    return "\n".join(lines) + "\n"


__all__ = [
    "ALL_ROLES",
    "ALWAYS_ALLOWED_PREFIXES",
    "AuthorizationInterceptor",
    "Check",
    "Directory",
    "MATRIX",
    "PEERS_OF_HQ",
    "PEERS_OF_REGION",
    "PEERS_OF_SETTLEMENT",
    "PEERS_OF_STORE_AGENT",
    "Redaction",
    "Rule",
    "chaincard_methods",
    "render_matrix_markdown",
    "STORE_VOUCHES",
    "staff_roles_from_snapshot",
    "stores_from_snapshot",
    "validate_matrix",
]


MATRIX_BEGIN = "<!-- BEGIN GENERATED ROLE MATRIX: python -m chaincard.security.authz docs/security.md -->"
MATRIX_END = "<!-- END GENERATED ROLE MATRIX -->"


def write_matrix_docs(path: str) -> None:
    """Replace the table between the markers of ``path`` (docs/security.md) with the current one."""
    from pathlib import Path

    target = Path(path)
    text = target.read_text()
    start, end = text.index(MATRIX_BEGIN) + len(MATRIX_BEGIN), text.index(MATRIX_END)
    target.write_text(text[:start] + "\n" + render_matrix_markdown() + text[end:])


if __name__ == "__main__":
    import sys

    write_matrix_docs(sys.argv[1] if len(sys.argv) > 1 else "docs/security.md")
