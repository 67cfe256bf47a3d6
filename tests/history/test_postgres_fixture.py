from __future__ import annotations

from sqlalchemy import create_engine, text


def test_each_backend_answers_a_query(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        assert connection.execute(text("select 1 + 1")).scalar() == 2
    engine.dispose()
