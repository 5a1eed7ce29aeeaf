"""The workbook of Boutique Moselle SARL (fictional), a small Luxembourg web shop, typed in French the way its DPO
writes: a fresh `ropa template --lang fr` with these cell values put in. Run from the repository root:

    python examples/boutique-lu/build_workbook.py
"""
from pathlib import Path

import openpyxl

from ropa.workbook import write_template

HERE = Path(__file__).resolve().parent
dst = HERE / "boutique-moselle.xlsx"
src = write_template(HERE / "boutique-moselle.tmp.xlsx", lang="fr")
wb = openpyxl.load_workbook(src)
src.unlink()

def put(sheet, row, values):
    ws = wb[sheet]
    headers = {c.value: c.column for c in ws[1]}
    for k, v in values.items():
        ws.cell(row=row, column=headers[k], value=v)

put("Organisation", 2, {
    "Nom": "Boutique Moselle",
    "Dénomination sociale": "Boutique Moselle SARL",
    "Adresse": "12, rue de la Gare, L-5540 Remich",
    "Courriel": "protection.donnees@boutique-moselle.lu",
    "Téléphone": "+352 26 66 12 34",
    "Numéro d'entreprise": "B123456",
    "Site web": "https://www.boutique-moselle.lu",
    "Pays": "Luxembourg",
    "Autorité de contrôle": "Commission nationale pour la protection des données (CNPD)",
    "Délégué à la protection des données": "Claire Weber",
    "Mesures de sécurité pour tous les traitements": "Contrôle d'accès; Chiffrement; Formation du personnel",
    "Droits des personnes concernées": "Droit d'accès; Droit de rectification; Droit à l'effacement; Droit d'opposition",
})

acts = [
    {"Nom": "Gestion des clients de la boutique en ligne", "Rôle": "Responsable du traitement",
     "Finalités": "Gestion des commandes des clients; Livraison de biens; Service clientèle",
     "Finalités en vos mots": "Traiter les commandes passées sur la boutique en ligne, livrer et répondre aux clients",
     "Base juridique (art. 6)": "Exécution d'un contrat",
     "Personnes concernées": "Client",
     "Données à caractère personnel": "Nom; Adresse électronique; Adresse postale; Numéro de téléphone; Achats",
     "Destinataires": "PayLux S.A.",
     "Sous-traitants": "PayLux S.A.",
     "Contrat de sous-traitance": "oui",
     "Durée de conservation": "10 ans après la fin du contrat",
     "Source des données": "Personne concernée comme source",
     "Statut": "Activité en cours",
     "Valable à partir du": "01/03/2019"},
    {"Nom": "Lettre d'information", "Rôle": "Responsable du traitement",
     "Finalités": "Marketing direct",
     "Base juridique (art. 6)": "Consentement",
     "Retrait du consentement (art. 7, par. 3)": "Lien de désinscription dans chaque courriel",
     "Personnes concernées": "Client; Abonné",
     "Données à caractère personnel": "Adresse électronique; Nom",
     "Sous-traitants": "MailPlanet Inc.",
     "Contrat de sous-traitance": "oui",
     "Transferts hors EEE (pays : base)": "États-Unis : Cadre de protection des données UE-États-Unis",
     "Durée de conservation": "jusqu'à la désinscription",
     "Aucun destinataire": "oui"},
    {"Nom": "Paie", "Rôle": "Responsable du traitement",
     "Finalités": "Rémunération du personnel; Respect des obligations légales",
     "Base juridique (art. 6)": "Exécution d'un contrat; Obligation légale",
     "Personnes concernées": "Employé",
     "Données à caractère personnel": "Nom; Adresse postale; Compte bancaire; Salaire; Numéro d'identification national",
     "Disposition légale qui l'autorise (art. 87)": "Loi du 19 juin 2013 relative à l'identification des personnes physiques",
     "Destinataires": "Centre commun de la sécurité sociale; Administration des contributions directes",
     "Sous-traitants": "Fiduciaire Kayl",
     "Contrat de sous-traitance": "oui",
     "Déclare aucun transfert hors de": "EEE",
     "Durée de conservation": "10 ans aprés la fin du contrat",   # typo: aprés
     "Valable à partir du": "31/12/2026"},
    {"Nom": "Vidéosurveillance de l'entrepôt", "Rôle": "Responsable du traitement",
     "Finalités": "Garantie de la sécurité; Prévention et détection de la fraude",
     "Finalités en vos mots": "Protéger l'entrepôt contre le vol et les intrusions",
     "Base juridique (art. 6)": "Intérêts légitimes du responsable du traitement",
     "Personnes concernées": "Employé; Visiteur",
     "Données à caractère personnel": "Image",
     "Aucun destinataire": "oui",
     "Déclare aucun transfert hors de": "EEE",
     "Durée de conservation": "30 jours",
     "Mesures de sécurité": "Contrôle d'accès",
     "Contexte du traitement (ce qui rend une AIPD probable, art. 35)": "Vidéosurveillance"},
    {"Nom": "Paiements en ligne", "Rôle": "Responsable du traitement",
     "Finalités": "Gestion des paiements",
     "Finalités en vos mots": "Encaisser les paiements par carte ; les numéros de carte ne sont jamais enregistrés chez nous",
     "Base juridique (art. 6)": "Exécution d'un contrat",
     "Personnes concernées": "Client",
     "Données à caractère personnel": "Nom; Données de transaction; Numéro de carte de paiement",
     "Sous-traitants": "PayLux S.A.",
     "Contrat de sous-traitance": "oui",
     "Déclare aucun transfert hors de": "EEE",
     "Durée de conservation": "10 ans",
     "Mesures de sécurité": "Chiffrement"},
]
for i, a in enumerate(acts, start=2):
    a.setdefault("Organisation qui tient le registre", "Boutique Moselle")
    put("Traitements", i, a)

parties = [
    {"Nom": "PayLux S.A.", "Type": "Sous-traitant", "Pays": "Luxembourg", "Localisation des données": "Luxembourg",
     "Courriel": "privacy@paylux.lu", "Contrat de sous-traitance": "oui"},
    {"Nom": "MailPlanet Inc.", "Type": "Sous-traitant", "Pays": "Etats-Unis", "Siège": "États-Unis",
     "Localisation des données": "États-Unis", "Contrat de sous-traitance": "oui",
     "Certifié au titre de (art. 45)": "Cadre de protection des données UE-États-Unis"},
    {"Nom": "Fiduciaire Kayl", "Type": "Sous-traitant", "Pays": "Luxembourg", "Contrat de sous-traitance": "oui",
     "Courriel": "info@fiduciaire-kayl.lu"},
    {"Nom": "Centre commun de la sécurité sociale", "Type": "Autorité publique", "Pays": "Luxembourg"},
    {"Nom": "Administration des contributions directes", "Type": "Autorité publique", "Pays": "Luxembourg"},
    {"Nom": "Claire Weber", "Type": "Délégué à la protection des données", "Courriel": "dpo@boutique-moselle.lu"},
]
for i, p in enumerate(parties, start=2):
    put("Sous-traitants et destinataires", i, p)
wb.save(dst)
