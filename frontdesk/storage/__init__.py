"""The SQL store (SQLAlchemy 2 async), its migrations, repositories and the demo data generator."""
