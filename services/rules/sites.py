"""The gateway's sites as the rules know them (`rules_sites`, fed by `site.created/updated/deleted`): every
site-scoped request is checked against it (404 `site_not_found` for a site not of the caller's account),
and a deleted site's rules go with it."""

from services.common.sites import SITE_EVENTS, SiteReadModel
from services.rules import repository
from services.rules.models import processed, rules_sites

SITES = SiteReadModel(rules_sites, processed, on_deleted=repository.delete_site_rules)

__all__ = ["SITES", "SITE_EVENTS"]
