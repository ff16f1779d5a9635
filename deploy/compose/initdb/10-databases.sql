-- One database per service and region, as production has one PostgreSQL cluster each.
-- (chaincard_hq is POSTGRES_DB: the image creates it.)
CREATE DATABASE chaincard_settlement OWNER chaincard;
CREATE DATABASE chaincard_region_e OWNER chaincard;
CREATE DATABASE chaincard_region_w OWNER chaincard;
