"""The workbook of Classe Ouverte SAS (fictional), an e-learning company in Lyon for schools and adults, with a
subsidiary in Dublin, typed in French the way its DPO writes, starting as a new user starts: `ropa init` in French,
`ropa export --format xlsx --lang fr`, then these cells put in (French labels picked from the drop-downs, dates day
first, a row of the starter record reused for URSSAF). Run from the repository root:

    python examples/classe-ouverte/build_workbook.py

It writes classe-ouverte.xlsx and, imported from it, classe-ouverte.ttl (the record the checks read).
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent


def ropa(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "ropa", *args], check=True, capture_output=True)


work = Path(tempfile.mkdtemp())
ropa("init", str(work / "registre"), "--org", "Classe Ouverte SAS", "--country", "FR", "--lang", "fr")
ropa("export", str(work / "registre"), "--format", "xlsx", "--lang", "fr", "-o", str(work / "registre.xlsx"))
wb = openpyxl.load_workbook(work / "registre.xlsx")


def put(sheet, row, values):
    ws = wb[sheet]
    headers = {c.value: c.column for c in ws[1]}
    for k, v in values.items():
        ws.cell(row=row, column=headers[k]).value = v


put("Organisation", 2, {
    "Nom": "Classe Ouverte",
    "Dénomination sociale": "Classe Ouverte SAS",
    "Adresse": "18 rue des Écoles, 69007 Lyon",
    "Courriel": "vie-privee@classe-ouverte.fr",
    "Téléphone": "+33 4 72 00 00 00",
    "Numéro d'entreprise": "RCS Lyon 912 345 678",
    "Site web": "https://www.classe-ouverte.fr",
    "Pays": "France",
    "Autorité de contrôle": "CNIL",
    "Délégué à la protection des données": "Hélène Marchand",
    "Droits des personnes concernées": "Droit d'accès; Droit de rectification; Droit à l'effacement; Droit d'opposition; Droit à la portabilité des données",
    "Délai de réponse aux demandes (art. 12, par. 3)": "1 mois",
    "Prolongation pour les demandes complexes ou nombreuses (art. 12, par. 3)": "2 mois",
    "Mesures de sécurité pour tous les traitements": "Chiffrement; Formation du personnel; Méthode de contrôle d'accès; Authentification multifacteur",
    "Déclare aucun transfert hors de": None,   # the starter record said no data leave the EEA; some do
    "Établissements (sièges et succursales)": "Classe Ouverte – agence de Paris",
})
put("Organisation", 3, {
    "Nom": "Classe Ouverte Ireland",
    "Dénomination sociale": "Classe Ouverte Ireland Limited",
    "Adresse": "Grand Canal Dock, Dublin 2",
    "Courriel": "privacy@classe-ouverte.ie",
    "Pays": "Irlande",
    "Autorité de contrôle": "Commission irlandaise de protection des données",
    "Délégué à la protection des données": "Hélène Marchand",
    "Mesures de sécurité pour tous les traitements": "Chiffrement; Méthode de contrôle d'accès",
})

CO = "Classe Ouverte"
acts = [
    {"Nom": "Plateforme pour les établissements scolaires", "Rôle": "Sous-traitant",
     "Pour le compte de (responsables)": "Collège Jean Moulin",
     "Finalités": "Fourniture de services",
     "Finalités en vos mots": "Héberger les classes, les devoirs et les notes des élèves pour le compte des établissements",
     "Personnes concernées": "Enfant; Étudiant; Parent",
     "Données à caractère personnel": "Nom; Date de naissance; Adresse électronique personnelle; Profil individuel",
     "Sous-traitants": "NuageSûr SAS; VisioMeet Inc.; HelpDesk Bangalore Pvt Ltd",
     "Contrat de sous-traitance": "oui",
     "Transferts hors EEE (pays : base)": "États-Unis : Cadre de protection des données UE-États-Unis\nInde (accès à distance) : Clauses contractuelles types",
     "Durée de conservation": "jusqu'à la fin du contrat",
     "Valable à partir du": "01/09/2021"},
    {"Nom": "Comptes des apprenants adultes", "Rôle": "Responsable du traitement",
     "Finalités": "Fourniture de services; Gestion des comptes",
     "Finalités en vos mots": "Créer et gérer le compte des adultes qui suivent nos formations en ligne",
     "Base juridique (art. 6)": "Exécution d'un contrat",
     "Personnes concernées": "Adulte; Client",
     "Données à caractère personnel": "Nom; Adresse électronique personnelle; Identifiant de compte; Historique de navigation",
     "Sous-traitants": "NuageSûr SAS",
     "Contrat de sous-traitance": "oui",
     "Déclare aucun transfert hors de": "EEE",
     "Aucun destinataire": "oui",
     "Durée de conservation": "3 ans après la fin du contrat",
     "Source des données": "Personne concernée comme source",
     "Valable à partir du": "15/01/2020"},
    {"Nom": "Analyse de la progression et recommandations personnalisées", "Rôle": "Responsable du traitement",
     "Finalités": "Personnalisation des services",
     "Finalités en vos mots": "Mesurer la progression de chaque apprenant, lui attribuer un niveau et lui proposer les exercices suivants",
     "Base juridique (art. 6)": "Consentement",
     "Personnes concernées": "Enfant; Adulte",
     "Données à caractère personnel": "Profil individuel; Comportement de navigation; Âge",
     "Sous-traitants": "StatsWise Inc.",
     "Contrat de sous-traitance": "oui",
     "Transferts hors EEE (pays : base)": "États-Unis : Clauses contractuelles types (UE) 2021/914",
     "Durée de conservation": "2 ans",
     "Contexte du traitement (ce qui rend une AIPD probable, art. 35)": "Évaluation et notation; Traitement à grande échelle",
     "Valable à partir du": "01/09/2023",
     "Commentaire": "Les niveaux attribués aux élèves ne sont pas transmis aux établissements.\n\n"
                    "À revoir avec le DPO avant la rentrée : l'analyse d'impact n'est pas encore faite."},
    {"Nom": "Classes virtuelles", "Rôle": "Responsable du traitement",
     "Finalités": "Fourniture de services",
     "Finalités en vos mots": "Cours en direct par visioconférence entre formateurs et apprenants adultes",
     "Base juridique (art. 6)": "Exécution d'un contrat",
     "Personnes concernées": "Adulte; Employé",
     "Données à caractère personnel": "Nom; Image; Enregistrement de communications vocales",
     "Sous-traitants": "VisioMeet Inc.",
     "Contrat de sous-traitance": "oui",
     "Transferts hors EEE (pays : base)": "États-Unis : Cadre de protection des données UE-États-Unis",
     "Durée de conservation": "30 jours",
     "Aucun destinataire": "oui"},
    {"Nom": "Paiement des abonnements", "Rôle": "Responsable du traitement",
     "Finalités": "Gestion des paiements",
     "Base juridique (art. 6)": "Exécution d'un contrat; Obligation légale",
     "Loi qui établit l'obligation ou la mission (art. 6, par. 3)": "Code de commerce, art. L123-22 (conservation des documents comptables)",
     "Personnes concernées": "Client",
     "Données à caractère personnel": "Nom; Compte bancaire; Données de transaction",
     "Sous-traitants": "PaieFacile SA",
     "Contrat de sous-traitance": "oui",
     "Déclare aucun transfert hors de": "EEE",
     "Destinataires": "PaieFacile SA",
     "Durée de conservation": "10 ans",
     "Valable à partir du": "15/01/2020"},
    {"Nom": "Assistance aux utilisateurs", "Rôle": "Responsable du traitement",
     "Finalités": "Service clientèle",
     "Base juridique (art. 6)": "Exécution d'un contrat",
     "Personnes concernées": "Client; Adulte",
     "Données à caractère personnel": "Nom; Adresse électronique personnelle; Identifiant de compte",
     "Sous-traitants": "HelpDesk Bangalore Pvt Ltd",
     "Contrat de sous-traitance": "oui",
     "Transferts hors EEE (pays : base)": "Inde (accès à distance) : Clauses contractuelles types (UE) 2021/914",
     "Aucun destinataire": "oui",
     "Durée de conservation": "2 ans après le dernier contact avec la personne concernée"},
    {"Nom": "Mesure d'audience du site", "Rôle": "Responsable du traitement",
     "Finalités": "Analyse de l'utilisation des services",
     "Base juridique (art. 6)": "Consentement",
     "Retrait du consentement (art. 7, par. 3)": "Bandeau cookies, lien « Gérer mes cookies » en bas de chaque page",
     "Personnes concernées": "Visiteur",
     "Données à caractère personnel": "Historique de navigation; Page de provenance",
     "Sous-traitants": "StatsWise Inc.",
     "Contrat de sous-traitance": "oui",
     "Transferts hors EEE (pays : base)": "États-Unis : Clauses contractuelles types (UE) 2021/914",
     "Durée de conservation": "13 mois",
     "Aucun destinataire": "oui"},
    {"Nom": "Gestion de la paie", "Rôle": "Responsable du traitement",
     "Finalités": "Gestion des ressources humaines",
     "Finalités en vos mots": "Payer les salaires et déclarer les cotisations",
     "Base juridique (art. 6)": "Exécution d'un contrat; Obligation légale",
     "Loi qui établit l'obligation ou la mission (art. 6, par. 3)": "Code du travail, art. L3243-4 (conservation des bulletins de paie)",
     "Personnes concernées": "Employé",
     "Données à caractère personnel": "Nom; Adresse; Compte bancaire; Salaire",
     "Destinataires": "URSSAF",
     "Déclare aucun transfert hors de": "EEE",
     "Durée de conservation": "5 ans après la fin de la relation contractuelle",
     "Source des données": "Personne concernée comme source"},
    {"Organisation qui tient le registre": "Classe Ouverte Ireland", "Nom": "Prospection des écoles irlandaises",
     "Rôle": "Responsable du traitement",
     "Finalités": "Marketing direct",
     "Base juridique (art. 6)": "Intérêts légitimes du responsable du traitement",
     "Personnes concernées": "Employé",
     "Données à caractère personnel": "Nom; Adresse électronique professionnelle",
     "Aucun destinataire": "oui",
     "Déclare aucun transfert hors de": "EEE",
     "Durée de conservation": "3 ans"},
]
wsa = wb["Traitements"]
for i in range(2, wsa.max_row + 1):
    for c in wsa[i]:
        c.value = None
for i, a in enumerate(acts, start=2):
    a.setdefault("Organisation qui tient le registre", CO)
    put("Traitements", i, a)

ws = wb["Sous-traitants et destinataires"]
# the rows of the starter record are typed over: its tax authority row becomes URSSAF, its DPO row the named DPO
parties = [
    {"Clé": "tax-authorities", "Nom": "URSSAF", "Type": "Autorité publique; Destinataire", "Pays": "France"},
    {"Clé": "dpo", "Nom": "Hélène Marchand", "Type": "Délégué à la protection des données",
     "Courriel": "dpo@classe-ouverte.fr"},
    {"Nom": "NuageSûr SAS", "Type": "Sous-traitant", "Pays": "France", "Localisation des données": "France",
     "Courriel": "dpo@nuagesur.fr", "Contrat de sous-traitance": "oui"},
    {"Nom": "VisioMeet Inc.", "Type": "Sous-traitant", "Pays": "États-Unis", "Siège": "États-Unis",
     "Localisation des données": "États-Unis", "Contrat de sous-traitance": "oui",
     "Certifié au titre de (art. 45)": "Cadre de protection des données UE-États-Unis"},
    {"Nom": "StatsWise Inc.", "Type": "Sous-traitant", "Pays": "États-Unis", "Siège": "États-Unis",
     "Localisation des données": "États-Unis", "Contrat de sous-traitance": "oui"},
    {"Nom": "PaieFacile SA", "Type": "Sous-traitant; Destinataire", "Pays": "Belgique",
     "Localisation des données": "UE", "Contrat de sous-traitance": "oui"},
    {"Nom": "HelpDesk Bangalore Pvt Ltd", "Type": "Sous-traitant", "Pays": "Inde", "Siège": "Inde",
     "Localisation des données": "France", "Contrat de sous-traitance": "oui"},
    {"Nom": "Classe Ouverte – agence de Paris", "Type": "Établissement", "Pays": "France",
     "Adresse": "42 rue de la Roquette, 75011 Paris", "Numéro d'entreprise": "SIRET 912 345 678 00031"},
    {"Nom": "Collège Jean Moulin", "Type": "Responsable du traitement", "Pays": "France",
     "Courriel": "secretariat@college-jean-moulin-lyon.fr"},
]
for i in range(2, ws.max_row + 1):
    for c in ws[i]:
        c.value = None
for i, p in enumerate(parties, start=2):
    put("Sous-traitants et destinataires", i, p)
book = HERE / "classe-ouverte.xlsx"
wb.save(book)
ropa("import", str(book), "-o", str(work / "imported"))
shutil.copy(work / "imported" / "classe-ouverte.ttl", HERE / "classe-ouverte.ttl")
shutil.rmtree(work)
