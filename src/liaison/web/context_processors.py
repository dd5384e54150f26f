from django.urls import reverse

from liaison.referrals.validation import DATE_FIELDS


def navigation(request):
    """The service navigation for the signed-in user's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "date_fields": DATE_FIELDS}
    items = [("Home", reverse("web:home"))]
    if user.is_la_user:
        items += [("Refer an overpayment", reverse("web:referral_new")),
                  ("Upload a file", reverse("web:import_new")),
                  ("Referrals", reverse("web:referral_list")),
                  ("Debts", reverse("recovery:debt_list")),
                  ("Casework", reverse("casework:home")),
                  ("Notices", reverse("web:notice_list")),
                  ("Repayments", reverse("remittance:list")),
                  ("Performance", reverse("sla:dashboard"))]
    elif user.is_dm_user:
        items += [("Referrals", reverse("web:referral_list"))]
        if user.has_perm("referrals.scrutinise"):
            items += [("Work queue", reverse("web:queue"))]
        items += [("Debts", reverse("recovery:debt_list"))]
        if user.has_perm("casework.work"):
            items += [("Casework", reverse("casework:home"))]
        if user.has_perm("recovery.bulk_suspend"):
            items += [("Suspensions", reverse("recovery:suspensions"))]
        items += [("Notices", reverse("web:notice_list")), ("Repayments", reverse("remittance:list")),
                  ("Performance", reverse("sla:dashboard"))]
        if user.role == "ADMIN" or user.is_superuser:
            items += [("Administration", reverse("admin:index"))]
    governance = _governance_items(user)
    if items and items[-1][0] == "Administration":
        items[-1:-1] = governance
    else:
        items += governance
    path = request.path
    # One item is active: the one whose address is the longest start of this page's ("/referrals/new/" is
    # "Refer an overpayment", not also "Referrals").
    matches = [url for _, url in items if (path == url if url == "/" else path.startswith(url))]
    current = max(matches, key=len, default=None)
    nav = [{"label": label, "url": url, "active": url == current} for label, url in items]
    return {"nav_items": nav, "date_fields": DATE_FIELDS}


def _governance_items(user):
    """Partnership working, for everyone acting for a party: LAs, DM's units and the governments."""
    from django.apps import apps

    if not apps.is_installed("liaison.governance"):
        return []
    from liaison.governance.access import acting_org_ids, is_dm_wide, is_gov_user

    if not acting_org_ids(user):
        return []
    items = [("Contacts", reverse("governance:directory")), ("Issues log", reverse("governance:issue_list"))]
    # Agreements and governance meetings are for LA managers, DM's SLA liaison officers and the governments.
    if user.role == "LA_MANAGER" or is_dm_wide(user) or is_gov_user(user):
        items += [("Agreements", reverse("governance:agreement_list")), ("Meetings", reverse("governance:group_list"))]
    if is_gov_user(user):
        items.append(("Engagement", reverse("governance:round_list")))
    return items
