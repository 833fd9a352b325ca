"""Administrators' ERP pages under `/c/<company code>/erp/`: clients and deliveries.

System administrators and viewers read them (`CONFIGURATION_READ`); only
administrators act (`CONFIGURATION_WRITE`), so a viewer's crafted POST is a 404.
"""
