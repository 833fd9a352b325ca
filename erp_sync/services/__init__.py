"""Writes of the erp_sync app: ERP clients (`clients`) and master-data sync (`sync`)."""
