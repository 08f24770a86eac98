// Package catalog holds what the platform evaluates: the occupations of the national classification
// (职业分类大典) with their sub-types (工种) and national standards, and the skill levels (职业技能等级)
// a certificate can carry.
//
// The seed data of the catalog lives in the sub-package seed; this package holds the vocabulary other
// modules share, starting with Level.
package catalog
