"""registry: divisions, grid, parks, enterprises, sites, devices, users

Revision ID: 0002_registry
Revises: 0001_base
Create Date: 2026-11-22 16:15:38.920122
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002_registry'
down_revision = '0001_base'
branch_labels = ('registry',)
depends_on = None


def upgrade() -> None:
    
    op.create_table('divisions',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.Enum('city', 'town', 'street', 'village', 'community', name='division_level', native_enum=False, length=40), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('boundary_geojson', sa.Text(), nullable=True),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.CheckConstraint('length(code) = 12', name=op.f('ck_divisions_code_12_digits')),
    sa.ForeignKeyConstraint(['parent_code'], ['divisions.code'], name=op.f('fk_divisions_parent_code_divisions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_divisions'))
    )
    with op.batch_alter_table('divisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_divisions_parent_code'), ['parent_code'], unique=False)

    op.create_table('grid_cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.Enum('city', 'town', 'village', name='grid_level', native_enum=False, length=40), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_grid_cells_division_code_divisions')),
    sa.ForeignKeyConstraint(['parent_id'], ['grid_cells.id'], name=op.f('fk_grid_cells_parent_id_grid_cells')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_cells')),
    sa.UniqueConstraint('code', name=op.f('uq_grid_cells_code'))
    )
    with op.batch_alter_table('grid_cells', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_cells_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_cells_parent_id'), ['parent_id'], unique=False)

    op.create_table('parks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('national_development_zone', 'bonded_zone', 'provincial_high_tech_zone', 'provincial_metallurgy_park', 'chemical_park', name='park_kind', native_enum=False, length=40), nullable=False),
    sa.Column('town_code', sa.String(length=12), nullable=False),
    sa.Column('boundary_geojson', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['town_code'], ['divisions.code'], name=op.f('fk_parks_town_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parks')),
    sa.UniqueConstraint('code', name=op.f('uq_parks_code'))
    )
    with op.batch_alter_table('parks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parks_town_code'), ['town_code'], unique=False)

    op.create_table('enterprises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('industry_code', sa.String(length=4), nullable=False),
    sa.Column('industry_group', sa.Enum('metallurgy', 'machinery_electrical', 'chemicals', 'textiles', 'other', name='industry_group', native_enum=False, length=40), nullable=False),
    sa.Column('town_code', sa.String(length=12), nullable=False),
    sa.Column('park_id', sa.Integer(), nullable=True),
    sa.Column('land_area_mu', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('size_class', sa.Enum('large', 'medium', 'small', 'micro', name='size_class', native_enum=False, length=40), nullable=False),
    sa.Column('above_scale', sa.Boolean(), nullable=False),
    sa.CheckConstraint('land_area_mu >= 0', name=op.f('ck_enterprises_land_area_non_negative')),
    sa.CheckConstraint('lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90', name=op.f('ck_enterprises_lon_lat_range')),
    sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_enterprises_park_id_parks')),
    sa.ForeignKeyConstraint(['town_code'], ['divisions.code'], name=op.f('fk_enterprises_town_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprises')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_enterprises_credit_code'))
    )
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprises_park_id'), ['park_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_town_code'), ['town_code'], unique=False)

    op.create_table('enterprise_years',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('output_10k_yuan', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('revenue_10k_yuan', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('tax_10k_yuan', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('value_added_10k_yuan', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('rd_expense_10k_yuan', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('energy_tce', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('cod_t', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('nh3_n_t', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('so2_t', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.Column('nox_t', sa.Numeric(precision=18, scale=3), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_enterprise_years_enterprise_id_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_years')),
    sa.UniqueConstraint('enterprise_id', 'year', name=op.f('uq_enterprise_years_enterprise_id_year'))
    )
    with op.batch_alter_table('enterprise_years', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_years_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('air_station', 'water_section', 'gas_outlet', 'water_outlet', name='site_kind', native_enum=False, length=40), nullable=False),
    sa.Column('level', sa.Enum('national', 'provincial', 'town', 'tributary', 'enterprise', name='site_level', native_enum=False, length=40), nullable=False),
    sa.Column('town_code', sa.String(length=12), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('waterbody', sa.Enum('river', 'lake', name='waterbody', native_enum=False, length=40), nullable=True),
    sa.Column('river', sa.String(length=100), nullable=True),
    sa.Column('target_class', sa.Integer(), nullable=True),
    sa.Column('emission_standard', sa.String(length=80), nullable=True),
    sa.Column('process', sa.String(length=80), nullable=True),
    sa.CheckConstraint('target_class IS NULL OR target_class BETWEEN 1 AND 5', name=op.f('ck_sites_target_class_1_5')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_sites_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['town_code'], ['divisions.code'], name=op.f('fk_sites_town_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('code', name=op.f('uq_sites_code'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sites_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_sites_town_code'), ['town_code'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.Enum('city_admin', 'bureau_analyst', 'town_officer', 'grid_officer', 'department', 'enterprise', 'public', name='role', native_enum=False, length=40), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('park_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_users_division_code_divisions')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_users_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_users_park_id_parks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_park_id'), ['park_id'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mn', sa.String(length=24), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('crc_variant', sa.Enum('hj212', 'modbus_swapped', name='crc_variant', native_enum=False, length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_devices_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('mn', name=op.f('uq_devices_mn'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_site_id'), ['site_id'], unique=False)

    op.create_table('grid_officers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('grid_cell_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['grid_cell_id'], ['grid_cells.id'], name=op.f('fk_grid_officers_grid_cell_id_grid_cells')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grid_officers_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_officers'))
    )
    with op.batch_alter_table('grid_officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_officers_grid_cell_id'), ['grid_cell_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_officers_user_id'), ['user_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('grid_officers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_officers_user_id'))
        batch_op.drop_index(batch_op.f('ix_grid_officers_grid_cell_id'))

    op.drop_table('grid_officers')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_site_id'))

    op.drop_table('devices')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_park_id'))
        batch_op.drop_index(batch_op.f('ix_users_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_users_division_code'))

    op.drop_table('users')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_town_code'))
        batch_op.drop_index(batch_op.f('ix_sites_kind'))
        batch_op.drop_index(batch_op.f('ix_sites_enterprise_id'))

    op.drop_table('sites')
    with op.batch_alter_table('enterprise_years', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_years_enterprise_id'))

    op.drop_table('enterprise_years')
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprises_town_code'))
        batch_op.drop_index(batch_op.f('ix_enterprises_park_id'))

    op.drop_table('enterprises')
    with op.batch_alter_table('parks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parks_town_code'))

    op.drop_table('parks')
    with op.batch_alter_table('grid_cells', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_cells_parent_id'))
        batch_op.drop_index(batch_op.f('ix_grid_cells_division_code'))

    op.drop_table('grid_cells')
    with op.batch_alter_table('divisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_divisions_parent_code'))

    op.drop_table('divisions')
    
