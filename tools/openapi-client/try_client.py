"""Call Amparo through a client generated from its OpenAPI document (openapi-python-client).

Usage: python3 try_client.py BASE_URL TOKEN (run.sh generates the client first)."""
import sys
from amparo_client import AuthenticatedClient
from amparo_client.api.default import (get_me, get_persons, post_persons, get_persons_id_file, post_reports,
    get_reports, get_cases, post_cases, post_cases_id_links, get_cases_id, get_search, get_statistics_annual,
    post_persons_id_decisions)
from amparo_client.models import PersonInput, ReportInput, CaseInput, LinkInput, PersonRole, Channel, Exploitation, CaseExploitation, CaseRole
from amparo_client.models import PersonPage, Person, ReportView, CaseSummary, LinkView, PersonFile, Error

c = AuthenticatedClient(base_url=sys.argv[1], token=sys.argv[2], raise_on_unexpected_status=True)
n = 0
def step(name, r, want):
    global n
    assert r.status_code == want, (name, r.status_code, r.content[:300])
    assert r.parsed is not None, (name, "did not parse")
    print(f"{name}: {r.status_code} {type(r.parsed).__name__}")
    n += 1
    return r.parsed

me = step("me", get_me.sync_detailed(client=c), 200)
page = step("persons page", get_persons.sync_detailed(client=c, limit=5), 200)
assert isinstance(page, PersonPage) and len(page.items) <= 5
second = step("next page", get_persons.sync_detailed(client=c, limit=5, cursor=page.next_cursor), 200)
assert {p.id for p in page.items}.isdisjoint({p.id for p in second.items})
p = step("create person", post_persons.sync_detailed(client=c, body=PersonInput(role=PersonRole.POSSIBLE_VICTIM, given_names="Generada", first_surname="Cliente", sex="female", approx_age="17", nationality="PE")), 201)
assert isinstance(p, Person)
f = step("person file", get_persons_id_file.sync_detailed(p.id, client=c), 200)
rep = step("create report", post_reports.sync_detailed(client=c, body=ReportInput(channel=Channel.HOTLINE, place="PE-16", narrative="Adolescentes en un bar de Punchana", exploitation=Exploitation.SEXUAL)), 201)
assert isinstance(rep, ReportView)
step("reports queue", get_reports.sync_detailed(client=c, limit=3), 200)
case = step("open case", post_cases.sync_detailed(client=c, body=CaseInput(title="Bar en Punchana", place="PE-16", exploitation=CaseExploitation.ISSEXUALEXPLOIT)), 201)
step("link person", post_cases_id_links.sync_detailed(case.id, client=c, body=LinkInput(person_id=p.id, role=CaseRole.VICTIM)), 201)
step("case detail", get_cases_id.sync_detailed(case.id, client=c), 200)
step("cases page", get_cases.sync_detailed(client=c, limit=10), 200)
step("search", get_search.sync_detailed(client=c, q="Punchana"), 200)
bad = get_persons.sync_detailed(client=c, limit=0)
assert bad.status_code == 422 and isinstance(bad.parsed, Error) and bad.parsed.code == "validation_failed", bad
print("422 parsed as Error:", bad.parsed.code, [x.code for x in bad.parsed.fields])
print(f"{n} calls through the generated client, every answer parsed into its model")
