"""S3 Thematic Partnerships a region may belong to, grouped by thematic platform.

Names as published on the S3 platform pages (see ../shared/CRITERION7-FACTS.md, section 2);
the list is incomplete by nature and administrators may extend it.
"""

from flask_babel import lazy_gettext as _l

PLATFORMS = {
    "agri_food": _l("Agri-Food"),
    "energy": _l("Energy"),
    "industrial_modernisation": _l("Industrial Modernisation"),
    "blue_economy": _l("Sustainable Blue Economy"),
}

#: slug -> (platform, name)
THEMATIC_PARTNERSHIPS = {
    "consumer-involvement": ("agri_food", _l("Consumer Involvement in Agri-Food Innovation")),
    "high-tech-farming": ("agri_food", _l("High-Tech Farming")),
    "nutritional-ingredients": ("agri_food", _l("Nutritional Ingredients")),
    "smart-sensors-agri-food": ("agri_food", _l("Smart Sensors 4 Agri-Food")),
    "traceability-big-data": ("agri_food", _l("Traceability and Big Data")),
    "bioenergy": ("energy", _l("Bioenergy")),
    "solar-energy": ("energy", _l("Solar Energy")),
    "marine-renewable-energy": ("energy", _l("Marine Renewable Energy")),
    "smart-grids": ("energy", _l("Smart Grids")),
    "sustainable-buildings": ("energy", _l("Sustainable Buildings")),
    "3d-printing": ("industrial_modernisation", _l("3D-Printing")),
    "efficient-sustainable-manufacturing": (
        "industrial_modernisation",
        _l("Efficient and Sustainable Manufacturing"),
    ),
    "bioeconomy": ("industrial_modernisation", _l("Bioeconomy")),
    "nano-enabled-products": ("industrial_modernisation", _l("New Nano-Enabled Products")),
    "photonics": ("industrial_modernisation", _l("Photonics")),
    "medical-technology": ("industrial_modernisation", _l("Medical Technology")),
    "textile-innovation": ("industrial_modernisation", _l("Textile Innovation")),
    "chemicals": ("industrial_modernisation", _l("Chemicals")),
    "sme-industry-4-0": ("industrial_modernisation", _l("SME Integration to Industry 4.0")),
    "artificial-intelligence": ("industrial_modernisation", _l("Artificial Intelligence")),
    "cyber-valleys": ("industrial_modernisation", _l("European Cyber Valleys")),
}
