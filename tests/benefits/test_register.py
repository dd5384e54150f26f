import datetime as dt

import pytest

from liaison.benefits.models import Award
from liaison.benefits.register import get_register
from liaison.benefits.services import awards_import

pytestmark = pytest.mark.django_db


def test_awards_load_from_csv_with_faults_by_row_and_the_good_rows_kept(refdata, tmp_path):
    path = tmp_path / "awards.csv"
    path.write_text("nino,benefit,weekly_amount,start,end\n"
                    "JH123456C,ESA,120.50,2025-01-06,\n"
                    "QQ123456A,ESA,10,2025-01-06,\n"
                    "JH123457C,XYZ,1x,2025-13-01,\n"
                    "JH123458C,PC,200,2024-01-01,2024-12-31\n")
    report = awards_import(path=path)
    assert (report.created, report.updated) == (2, 0)
    assert report.faults[0].startswith("Row 3: nino:")
    assert any(f.startswith("Row 4: benefit: XYZ") for f in report.faults)
    assert any(f.startswith("Row 4: weekly_amount") for f in report.faults)
    assert Award.objects.get(nino="JH123456C").weekly_amount_pence == 12050
    # Re-loading updates rather than duplicates.
    path.write_text("nino,benefit,weekly_amount,start,end\nJH123456C,ESA,130,2025-01-06,2025-06-01\n")
    report = awards_import(path=path)
    assert (report.created, report.updated) == (0, 1)
    assert Award.objects.get(nino="JH123456C").end == dt.date(2025, 6, 1)


def test_the_register_answers_only_current_prescribed_awards(refdata, award):
    award("JH000001C", benefit="ESA")
    award("JH000002C", benefit="UC")
    award("JH000003C", benefit="PC", start=dt.date(2020, 1, 1), end=dt.date(2021, 1, 1))
    found = get_register().current_prescribed_awards(["JH000001C", "JH000002C", "JH000003C", "JH000004C"],
                                                     on=dt.date.today())
    assert set(found) == {"JH000001C"}
    assert found["JH000001C"][0].benefit_name == "Employment and Support Allowance"


def test_a_missing_column_is_reported_and_nothing_loaded(refdata, tmp_path):
    path = tmp_path / "awards.csv"
    path.write_text("nino,benefit,start\nJH123456C,ESA,2025-01-06\n")
    report = awards_import(path=path)
    assert report.created == 0 and "weekly_amount" in report.faults[0]
