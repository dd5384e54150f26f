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
                  ("Notices", reverse("web:notice_list"))]
    elif user.is_dm_user:
        items += [("Referrals", reverse("web:referral_list"))]
        if user.has_perm("referrals.scrutinise"):
            items += [("Work queue", reverse("web:queue"))]
        items += [("Notices", reverse("web:notice_list"))]
        if user.role == "ADMIN" or user.is_superuser:
            items += [("Administration", reverse("admin:index"))]
    path = request.path
    nav = []
    for label, url in items:
        active = path == url if url == "/" else path.startswith(url)
        nav.append({"label": label, "url": url, "active": active})
    return {"nav_items": nav, "date_fields": DATE_FIELDS}
